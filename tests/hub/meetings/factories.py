"""Factories for meetings and their parts."""
import datetime

import factory
from django.utils import timezone

from hub.models import ActionItem, Meeting, Participant, Province


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    title = factory.Sequence(lambda n: f"第{n}次圆桌会议")
    host = factory.LazyFunction(lambda: Province.objects.get(code="SH"))
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    status = Meeting.Status.LIVE


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    meeting = factory.SubFactory(MeetingFactory)
    role = Participant.Role.EDITOR


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    meeting = factory.SubFactory(MeetingFactory)
    text = factory.Sequence(lambda n: f"督办事项 {n}")
    owner_province = factory.LazyFunction(lambda: Province.objects.get(code="SH"))
    due = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
