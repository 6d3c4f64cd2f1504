"""Translation lookups remembered per catalogue.

Chinese is the source language, so on a Chinese page nearly every ``gettext`` misses: Django's catalogue for
zh-hans keeps 22 sub-catalogues (one per plural formula) and eleven fallbacks (an app shipping both ``zh_Hans`` and
``zh`` adds one), and a miss walks all of them, twice per level (singular, then plural key). A listing asks about
150 times per render; measured at 67 µs a miss under load, a tenth of the page. A loaded catalogue never changes
(Django builds a new object when the files change), so each answer is kept on the catalogue object that gave it.
"""
from __future__ import annotations

#: Bound on remembered messages per catalogue: gettext is also called on data (category names), which must not
#: grow the memo without limit.
MAX_ENTRIES = 20000

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from django.utils.translation.trans_real import DjangoTranslation

    looked_up = DjangoTranslation.gettext

    def gettext(self, message):
        memo = self.__dict__.get("_hub_memo")
        if memo is None:
            memo = self.__dict__["_hub_memo"] = {}
        try:
            return memo[message]
        except KeyError:
            pass
        except TypeError:  # an unhashable message: nothing to remember
            return looked_up(self, message)
        result = looked_up(self, message)
        if len(memo) < MAX_ENTRIES:
            memo[message] = result
        return result

    gettext.__doc__ = looked_up.__doc__
    DjangoTranslation.gettext = gettext
    _installed = True
