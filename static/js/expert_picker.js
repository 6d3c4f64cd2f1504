// Expert picker: search the directory as you type and add experts as checked boxes of the request form.
(() => {
  for (const picker of document.querySelectorAll("[data-expert-picker]")) {
    const query = picker.querySelector("[data-picker-query]");
    const results = picker.querySelector("[data-picker-results]");
    const picked = picker.querySelector("[data-picked]");
    let timer = null;
    let latest = 0;
    const add = (item) => {
      if (picked.querySelector(`input[value="${item.id}"]`)) return;
      const li = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox"; box.name = picker.dataset.name; box.value = item.id; box.checked = true;
      label.append(box, " " + item.label);
      li.append(label);
      picked.append(li);
    };
    const search = async () => {
      const ticket = ++latest;
      const text = query.value.trim();
      if (!text) { results.replaceChildren(); return; }
      const response = await fetch(`${picker.dataset.url}?q=${encodeURIComponent(text)}`, {credentials: "same-origin"});
      if (!response.ok || ticket !== latest) return;
      const data = await response.json();
      results.replaceChildren(...data.results.map((item) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button"; button.className = "link"; button.textContent = item.label;
        button.dataset.expertId = item.id;
        button.addEventListener("click", () => { add(item); results.replaceChildren(); query.value = ""; });
        li.append(button);
        return li;
      }));
      if (!data.results.length) {
        const li = document.createElement("li");
        li.textContent = picker.dataset.empty || "没有找到在库专家";
        results.append(li);
      }
    };
    query.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 200); });
    query.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); search(); } });
  }
})();
