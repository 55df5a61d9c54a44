// The console's own script. In the routing-form editor it keeps every condition fitting its field: when a
// condition's field changes, its operators become that field's (the engine's table, sent by the page in
// #builder-data) and its value becomes a pick from the field's options (ids, shown by label), a number
// range, or a text box. Adding and removing rows works without script (the page posts and comes back).
"use strict";

(function () {
  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (value === true) node.setAttribute(name, "");
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function labelled(container, id, text, control) {
    container.appendChild(element("label", { for: id }, text));
    container.appendChild(control);
  }

  function valueControl(row, table, operators) {
    const prefix = row.dataset.prefix;
    const spec = table[row.querySelector(".cond-field").value];
    const operator = operators[row.querySelector(".cond-op").value];
    const box = row.querySelector(".cond-value");
    const before = Array.from(box.querySelectorAll("[name='" + prefix + "value']")).flatMap((input) =>
      input.tagName === "SELECT" ? Array.from(input.selectedOptions).map((o) => o.value) : [input.value]
    );
    box.replaceChildren();
    if (!spec || !operator || operator.arity === 0) return;
    const id = prefix + "value";
    if (spec.options.length) {
      const select = element("select", { id: id, name: id, class: "cond-value-input", multiple: operator.list });
      if (!operator.list) select.appendChild(element("option", { value: "" }, "— choose —"));
      spec.options.forEach((option) => {
        select.appendChild(element("option", { value: option.id, selected: before.includes(option.id) }, option.label));
      });
      labelled(box, id, "Value", select);
    } else if (operator.arity === 2) {
      labelled(box, id, "From", element("input", { id: id, name: id, inputmode: "decimal", size: "8" }));
      const upper = prefix + "value2";
      labelled(box, upper, "To", element("input", { id: upper, name: upper, inputmode: "decimal", size: "8" }));
    } else {
      const input = element("input", { id: id, name: id, inputmode: spec.numeric ? "decimal" : null });
      input.value = spec.options.length ? "" : before[0] || "";
      labelled(box, id, "Value", input);
    }
  }

  function operatorChoices(row, table, operators) {
    const spec = table[row.querySelector(".cond-field").value];
    const select = row.querySelector(".cond-op");
    const previous = select.value;
    select.replaceChildren();
    (spec ? spec.operators : []).forEach((name) => {
      const label = operators[name] ? operators[name].label : name;
      select.appendChild(element("option", { value: name, selected: name === previous }, label));
    });
  }

  function builder() {
    const source = document.getElementById("builder-data");
    if (!source) return;
    const data = JSON.parse(source.textContent);
    if (!data) return;
    document.querySelectorAll(".condition").forEach((row) => {
      const table = data[row.dataset.source] || {};
      row.querySelector(".cond-field").addEventListener("change", () => {
        operatorChoices(row, table, data.operators);
        valueControl(row, table, data.operators);
      });
      row.querySelector(".cond-op").addEventListener("change", () => valueControl(row, table, data.operators));
    });
  }

  document.addEventListener("DOMContentLoaded", builder);
})();
