/* The approval designer: details, form designer and process designer on one page.
 *
 * The page hands over the draft and the lists it needs (field types, roles, departments,
 * condition operators) in the #designer-data JSON script. Everything is edited in memory and
 * posted back as JSON to the page's own URL: {"action": "save" | "check" | "publish"}.
 * Structural changes (add, remove, move, change a type) rebuild the panels and put the focus
 * back on the same control; typing only updates the draft, so the caret never jumps.
 * Vanilla JS, no dependencies; texts go through Django's JavaScript catalog (/jsi18n/). */
(function () {
  "use strict";

  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\(\w+\)s/g, function (match) {
      return String(values[match.slice(2, -2)]);
    });
  };
  function fmt(text, values) { return interpolate(text, values, true); }

  var dataNode = document.getElementById("designer-data");
  var root = document.getElementById("designer");
  if (!dataNode || !root) { return; }
  var data = JSON.parse(dataNode.textContent);
  var LANG = (document.documentElement.lang || "en").indexOf("zh") === 0 ? "zh-hans" : "en";
  var TYPES = {};
  data.field_types.forEach(function (type) { TYPES[type.code] = type; });
  var NOT_IN_TABLE = { table: true, attachment: true, image: true };
  var APPLICANT_DEPARTMENT = "$applicant.department";
  var APPLICANT_OPERATORS = ["within", "eq"];
  var peopleNames = {};
  Object.keys(data.people || {}).forEach(function (id) { peopleNames[id] = data.people[id]; });
  var departments = data.departments || [];

  var state = {
    details: Object.assign({ name_zh: "", name_en: "", category: "", icon: "approval",
      description: "", starter_departments: [], is_active: true }, data.draft.details),
    form: Array.isArray(data.draft.form) ? data.draft.form : [],
    definition: data.draft.definition && typeof data.draft.definition === "object"
      ? data.draft.definition : { settings: {}, nodes: [] }
  };
  if (!Array.isArray(state.definition.nodes)) { state.definition.nodes = []; }
  if (!state.definition.settings || typeof state.definition.settings !== "object") {
    state.definition.settings = {};
  }

  var dirty = false;
  var busy = false;
  var undoStack = [];
  var expanded = new WeakSet();
  var openInsert = null;
  var activeTab = (location.hash || "").replace("#", "") || "details";
  if (["details", "form", "process"].indexOf(activeTab) < 0) { activeTab = "details"; }

  // --- small helpers ---------------------------------------------------------------------

  var ids = new WeakMap();
  var nextUid = 1;
  function uid(object) {
    if (!ids.has(object)) { ids.set(object, nextUid++); }
    return ids.get(object);
  }
  var nextElementId = 1;
  function elementId() { return "wf-" + (nextElementId++); }

  function h(tag, props) {
    var element = document.createElement(tag);
    var value;
    var children = Array.prototype.slice.call(arguments, 2);
    Object.keys(props || {}).forEach(function (key) {
      var item = props[key];
      if (item === undefined || item === null || item === false) { return; }
      if (key === "class") { element.className = item; }
      else if (key === "text") { element.textContent = item; }
      else if (key === "value") { value = item; }
      else if (key === "checked") { element.checked = !!item; }
      else if (key.indexOf("on") === 0) { element.addEventListener(key.slice(2), item); }
      else { element.setAttribute(key, item === true ? "" : item); }
    });
    (function append(list) {
      list.forEach(function (child) {
        if (child === null || child === undefined || child === false) { return; }
        if (Array.isArray(child)) { append(child); }
        else { element.append(child instanceof Node ? child : String(child)); }
      });
    })(children);
    if (value !== undefined) { element.value = value; }
    return element;
  }

  function labelOf(item, key) {
    var labels = item[key || "label"];
    if (!labels) { return key ? "" : (item.name || ""); }
    if (typeof labels === "string") { return labels; }
    return labels[LANG] || labels.en || labels["zh-hans"] || (key ? "" : (item.name || ""));
  }

  function kindOf(field) { return field && TYPES[field.type] ? TYPES[field.type].kind : "other"; }

  function departmentName(id) {
    for (var i = 0; i < departments.length; i++) {
      if (departments[i].id === Number(id)) { return departments[i].name; }
    }
    return "#" + id;
  }
  function personName(id) { return peopleNames[String(id)] || "#" + id; }
  function roleName(code) {
    for (var i = 0; i < data.roles.length; i++) {
      if (data.roles[i].code === code) { return data.roles[i].name; }
    }
    return code || "?";
  }

  function snapshot() {
    undoStack.push(JSON.stringify(state));
    if (undoStack.length > 50) { undoStack.shift(); }
  }
  function touched() {
    dirty = true;
    showStatus(gettext("Unsaved changes."), "");
  }
  /** A structural change: remember the state for Undo, change, redraw. */
  function commit(change) {
    snapshot();
    change();
    touched();
    render();
  }

  function uniqueName(list, base) {
    var taken = {};
    list.forEach(function (field) { taken[field.name] = true; });
    var number = 1;
    while (taken[base + "_" + number]) { number++; }
    return base + "_" + number;
  }

  function allNodeIds(nodes, found) {
    (nodes || []).forEach(function (node) {
      found[node.id] = true;
      (node.branches || []).forEach(function (branch) { allNodeIds(branch.nodes, found); });
    });
    return found;
  }
  function newNodeId(type) {
    var taken = allNodeIds(state.definition.nodes, {});
    var number = 1;
    while (taken[type + "_" + number]) { number++; }
    return type + "_" + number;
  }
  function newBranchId(branches) {
    var taken = {};
    branches.forEach(function (branch) { taken[branch.id] = true; });
    var number = 1;
    while (taken["b" + number]) { number++; }
    return "b" + number;
  }

  function move(list, index, by) {
    var target = index + by;
    if (target < 0 || target >= list.length) { return; }
    var item = list.splice(index, 1)[0];
    list.splice(target, 0, item);
  }

  // --- form controls ---------------------------------------------------------------------

  function wrapField(labelText, control, options) {
    options = options || {};
    var help = options.help ? h("div", { class: "help", id: control.id + "-help" }, options.help) : null;
    if (help) { control.setAttribute("aria-describedby", help.id); }
    return h("div", { class: "field" + (options.narrow ? " narrow" : "") },
      h("label", { for: control.id }, labelText), control, help);
  }

  function textInput(labelText, get, set, key, options) {
    options = options || {};
    var input = h(options.multiline ? "textarea" : "input", {
      type: options.multiline ? null : (options.type || "text"), id: elementId(),
      value: get() === undefined || get() === null ? "" : String(get()),
      "data-key": key, maxlength: options.maxlength, placeholder: options.placeholder,
      rows: options.multiline ? 3 : null, required: options.required,
      oninput: function (event) { set(event.target.value); touched(); if (options.after) { options.after(); } }
    });
    return wrapField(labelText, input, options);
  }

  function numberInput(labelText, object, property, key, options) {
    options = options || {};
    var input = h("input", {
      type: "number", id: elementId(), "data-key": key, inputmode: "decimal",
      min: options.min, max: options.max, step: options.step || "any",
      value: object[property] === undefined || object[property] === null ? "" : String(object[property]),
      oninput: function (event) {
        var text = event.target.value.trim();
        if (text === "" || isNaN(Number(text))) { delete object[property]; }
        else { object[property] = Number(text); }
        touched();
        if (options.after) { options.after(); }
      }
    });
    return wrapField(labelText, input, Object.assign({ narrow: true }, options));
  }

  function checkbox(labelText, get, set, key, options) {
    options = options || {};
    var id = elementId();
    var input = h("input", {
      type: "checkbox", id: id, "data-key": key, checked: !!get(),
      onchange: function (event) {
        if (options.structural) {
          var checked = event.target.checked;
          commit(function () { set(checked); });
        } else { set(event.target.checked); touched(); if (options.after) { options.after(); } }
      }
    });
    var help = options.help ? h("div", { class: "help", id: id + "-help" }, options.help) : null;
    if (help) { input.setAttribute("aria-describedby", help.id); }
    return h("div", { class: "field" }, h("label", { class: "check", for: id }, input, " ", labelText), help);
  }

  function selectInput(labelText, choices, get, set, key, options) {
    options = options || {};
    var current = get();
    var select = h("select", {
      id: elementId(), "data-key": key,
      onchange: function (event) {
        var value = event.target.value;
        if (options.structural) { commit(function () { set(value); }); }
        else { set(value); touched(); if (options.after) { options.after(); } }
      }
    }, choices.map(function (choice) {
      return h("option", { value: String(choice[0]) }, choice[1]);
    }));
    select.value = current === undefined || current === null ? "" : String(current);
    if (options.bare) {
      select.setAttribute("aria-label", labelText);
      return select;
    }
    return wrapField(labelText, select, options);
  }

  function toolButton(text, label, key, action, options) {
    options = options || {};
    return h("button", {
      type: "button", class: "wf-tool" + (options.danger ? " wf-danger" : ""),
      "aria-label": label, title: label, "data-key": key, disabled: options.disabled,
      onclick: action
    }, text);
  }

  function moveTools(list, index, key, name, options) {
    options = options || {};
    var last = options.lastMovable === undefined ? list.length - 1 : options.lastMovable;
    var back = options.horizontal ? "←" : "↑";
    var forward = options.horizontal ? "→" : "↓";
    return [
      toolButton(back, fmt(options.horizontal ? gettext("Move %(name)s left") : gettext("Move %(name)s up"), { name: name }),
        key + ":up", function () { commit(function () { move(list, index, -1); }); },
        { disabled: index === 0 }),
      toolButton(forward, fmt(options.horizontal ? gettext("Move %(name)s right") : gettext("Move %(name)s down"), { name: name }),
        key + ":down", function () { commit(function () { move(list, index, 1); }); },
        { disabled: index >= last })
    ];
  }

  function toggle(object) {
    if (expanded.has(object)) { expanded.delete(object); } else { expanded.add(object); }
    render();
  }

  // --- people and departments pickers ----------------------------------------------------

  function personLabel(person) {
    var names = [person.name_zh, person.name_en].filter(function (n) { return n; });
    var unique = names.filter(function (n, i) { return names.indexOf(n) === i; });
    return unique.join(" · ") || person.username;
  }

  /** Chosen people (chips with Remove) and a search box whose results are buttons. */
  function peoplePicker(labelText, get, set, key, multiple) {
    var chosen = get();
    var box = h("div", { class: "wf-people" });
    var list = h("ul", { class: "wf-chips", "aria-label": labelText });
    chosen.forEach(function (id) {
      list.append(h("li", { class: "wf-chip" }, personName(id), " ",
        toolButton("×", fmt(gettext("Remove %(name)s"), { name: personName(id) }), key + ":remove:" + id,
          function () { commit(function () { set(get().filter(function (other) { return other !== id; })); }); })));
    });
    if (!chosen.length) { list.append(h("li", { class: "muted small" }, gettext("Nobody chosen yet."))); }
    var resultsId = elementId();
    var results = h("ul", { class: "wf-results", id: resultsId, "aria-live": "polite" });
    var timer = null;
    var search = h("input", {
      type: "search", id: elementId(), "data-key": key + ":search", autocomplete: "off",
      placeholder: gettext("Name, username or phone"), "aria-controls": resultsId,
      oninput: function () { clearTimeout(timer); timer = setTimeout(find, 250); },
      onkeydown: function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          var first = results.querySelector("button");
          if (first) { first.click(); }
        }
      }
    });
    function choose(person) {
      peopleNames[String(person.id)] = personLabel(person);
      commit(function () {
        var now = get();
        if (now.indexOf(person.id) >= 0) { return; }
        set(multiple ? now.concat([person.id]) : [person.id]);
      });
    }
    function find() {
      var text = search.value.trim();
      results.textContent = "";
      if (!text) { return; }
      var url = data.urls.people + "?limit=10&search=" + encodeURIComponent(text);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (page) {
          if (search.value.trim() !== text) { return; }
          results.textContent = "";
          var items = page.items || [];
          if (!items.length) {
            results.append(h("li", { class: "muted small" }, gettext("Nobody found.")));
          }
          items.forEach(function (person) {
            var where = person.department ? (LANG === "zh-hans" ? person.department.name_zh
              : (person.department.name_en || person.department.name_zh)) : "";
            results.append(h("li", {}, h("button", {
              type: "button", class: "link-button", "data-person": person.username,
              onclick: function () { choose(person); }
            }, personLabel(person), h("span", { class: "muted small" }, " (" + person.username + ")" + (where ? " · " + where : "")))));
          });
        })
        .catch(function () {
          results.textContent = "";
          results.append(h("li", { class: "field-error" }, gettext("The search did not answer. Try again.")));
        });
    }
    box.append(list, wrapField(multiple ? gettext("Add a person") : gettext("Choose a person"), search), results);
    return box;
  }

  function departmentDepths() {
    var byId = {};
    departments.forEach(function (d) { byId[d.id] = d; });
    return departments.map(function (d) {
      var depth = 0;
      var parent = byId[d.parent_id];
      while (parent && depth < 20) { depth++; parent = byId[parent.parent_id]; }
      return [d.id, new Array(depth + 1).join("\u2003") + d.name];
    });
  }

  function departmentSelect(labelText, get, set, key, options) {
    var choices = [["", gettext("Choose a department")]].concat(departmentDepths());
    return selectInput(labelText, choices, function () { return get() || ""; },
      function (value) { set(value ? Number(value) : null); }, key, options);
  }

  // --- conditions (visible_if and branches) ----------------------------------------------

  function operatorsFor(fieldName, fields) {
    if (fieldName === APPLICANT_DEPARTMENT) { return APPLICANT_OPERATORS; }
    var field = fields.filter(function (f) { return f.name === fieldName; })[0];
    return data.operators[kindOf(field)] || data.operators.other;
  }

  function fieldByName(fields, name) {
    return fields.filter(function (f) { return f.name === name; })[0];
  }

  function valueText(clause, fields) {
    var value = clause.value;
    if (clause.op === "empty" || clause.op === "not_empty") { return ""; }
    if (clause.field === APPLICANT_DEPARTMENT) { return departmentName(value); }
    var field = fieldByName(fields, clause.field);
    var kind = kindOf(field);
    var items = Array.isArray(value) ? value : [value];
    if (kind === "choice" || kind === "choices") {
      var labels = {};
      (field.choices || []).forEach(function (c) { labels[c.value] = labelOf(c); });
      return items.map(function (v) { return labels[v] || v; }).join(", ");
    }
    if (kind === "person") { return items.map(personName).join(", "); }
    if (kind === "department") { return items.map(departmentName).join(", "); }
    return items.join(", ");
  }

  function clauseText(clause, fields) {
    var field = fieldByName(fields, clause.field);
    var name = clause.field === APPLICANT_DEPARTMENT ? gettext("Applicant's department")
      : (field ? labelOf(field) : clause.field);
    return [name, data.operator_labels[clause.op] || clause.op, valueText(clause, fields)]
      .filter(function (part) { return part !== ""; }).join(" ");
  }

  function conditionText(condition, fields) {
    var mode = condition && condition.any ? "any" : "all";
    var clauses = (condition && condition[mode]) || [];
    if (!clauses.length) { return gettext("No condition yet"); }
    return clauses.map(function (c) { return clauseText(c, fields); })
      .join(mode === "any" ? " " + gettext("or") + " " : " " + gettext("and") + " ");
  }

  function defaultValue(kind, op) {
    if (op === "empty" || op === "not_empty") { return undefined; }
    if ((op === "in" || op === "not_in") && kind !== "person") { return []; }
    if (kind === "person" && op === "in") { return []; }
    return "";
  }

  function clauseValueEditor(clause, fields, key) {
    var op = clause.op;
    if (op === "empty" || op === "not_empty") { return null; }
    var field = fieldByName(fields, clause.field);
    var kind = clause.field === APPLICANT_DEPARTMENT ? "department" : kindOf(field);
    var label = gettext("Value");
    if (kind === "department") {
      return departmentSelect(label, function () { return clause.value; },
        function (value) { clause.value = value; }, key + ":value");
    }
    if (kind === "person") {
      return peoplePicker(label, function () {
        return clause.value === "" || clause.value === undefined || clause.value === null ? []
          : (Array.isArray(clause.value) ? clause.value : [clause.value]);
      }, function (list) { clause.value = op === "in" ? list : (list.length ? list[list.length - 1] : ""); },
      key + ":value", op === "in");
    }
    if ((kind === "choice" || kind === "choices") && field) {
      var choices = (field.choices || []).map(function (c) { return [c.value, labelOf(c) || c.value]; });
      if (op === "in" || op === "not_in") {
        var chosen = Array.isArray(clause.value) ? clause.value : [];
        return h("fieldset", { class: "wf-choices" }, h("legend", {}, label),
          choices.map(function (choice, i) {
            return checkbox(choice[1], function () { return chosen.indexOf(choice[0]) >= 0; },
              function (on) {
                var now = Array.isArray(clause.value) ? clause.value : [];
                clause.value = on ? now.concat([choice[0]]) : now.filter(function (v) { return v !== choice[0]; });
              }, key + ":value:" + i);
          }));
      }
      return selectInput(label, [["", "—"]].concat(choices), function () { return clause.value; },
        function (value) { clause.value = value; }, key + ":value");
    }
    if (kind === "text" && (op === "in" || op === "not_in")) {
      return textInput(gettext("Values (separate with commas)"), function () {
        return Array.isArray(clause.value) ? clause.value.join(", ") : (clause.value || "");
      }, function (text) {
        clause.value = text.split(/[,，]/).map(function (t) { return t.trim(); }).filter(function (t) { return t; });
      }, key + ":value");
    }
    if (kind === "number") {
      return numberInput(label, clause, "value", key + ":value");
    }
    return textInput(label, function () { return clause.value; },
      function (value) { clause.value = value; }, key + ":value", { type: kind === "date" ? "date" : "text" });
  }

  /** Editor for {"all"|"any": [clauses]}; ``owner[prop]`` is removed when empty if
   * ``dropWhenEmpty``. ``fields`` are what the clauses may test. */
  function conditionEditor(owner, prop, fields, options) {
    options = options || {};
    var key = options.key;
    // Attached to the owner only when the first clause is added: an open editor alone
    // leaves no empty rule behind.
    var condition = owner[prop] && typeof owner[prop] === "object" ? owner[prop] : { all: [] };
    var mode = condition.any ? "any" : "all";
    var clauses = condition[mode] || (condition[mode] = []);
    var choices = fields.filter(function (f) { return f.name; }).map(function (f) {
      return [f.name, (labelOf(f) || f.name) + " (" + f.name + ")"];
    });
    if (options.applicant) { choices.push([APPLICANT_DEPARTMENT, gettext("Applicant's department")]); }
    var box = h("fieldset", { class: "wf-condition" }, h("legend", {}, options.legend));
    if (clauses.length > 1) {
      box.append(selectInput(gettext("Combine"), [["all", gettext("All of these hold")], ["any", gettext("Any of these holds")]],
        function () { return mode; }, function (value) {
          var list = condition[mode];
          delete condition[mode];
          condition[value] = list;
        }, key + ":mode", { structural: true, narrow: true }));
    }
    clauses.forEach(function (clause, index) {
      var operators = operatorsFor(clause.field, fields);
      var row = h("div", { class: "wf-clause" },
        selectInput(gettext("Field"), [["", "—"]].concat(choices), function () { return clause.field; },
          function (value) {
            clause.field = value;
            var allowed = operatorsFor(value, fields);
            if (allowed.indexOf(clause.op) < 0) { clause.op = allowed[0]; }
            var field = fieldByName(fields, value);
            clause.value = defaultValue(value === APPLICANT_DEPARTMENT ? "department" : kindOf(field), clause.op);
            if (clause.value === undefined) { delete clause.value; }
          }, key + ":" + index + ":field", { structural: true }),
        selectInput(gettext("Test"), operators.map(function (op) { return [op, data.operator_labels[op] || op]; }),
          function () { return clause.op; }, function (value) {
            var field = fieldByName(fields, clause.field);
            var kind = clause.field === APPLICANT_DEPARTMENT ? "department" : kindOf(field);
            var before = clause.op;
            clause.op = value;
            var manyBefore = before === "in" || before === "not_in";
            var manyNow = value === "in" || value === "not_in";
            if (manyBefore !== manyNow || value === "empty" || value === "not_empty") {
              clause.value = defaultValue(kind, value);
              if (clause.value === undefined) { delete clause.value; }
            }
          }, key + ":" + index + ":op", { structural: true }),
        clauseValueEditor(clause, fields, key + ":" + index),
        h("div", { class: "wf-clause-tools" }, toolButton("×", gettext("Remove this condition"), key + ":" + index + ":remove",
          function () {
            commit(function () {
              clauses.splice(index, 1);
              if (!clauses.length && options.dropWhenEmpty) { delete owner[prop]; }
            });
          }, { danger: true })));
      box.append(row);
    });
    if (!clauses.length && options.empty) { box.append(h("p", { class: "muted small" }, options.empty)); }
    box.append(h("button", {
      type: "button", class: "button small secondary", "data-key": key + ":add",
      disabled: !choices.length,
      onclick: function () {
        commit(function () {
          var first = choices[0][0];
          var field = fieldByName(fields, first);
          var op = operatorsFor(first, fields)[0];
          var clause = { field: first, op: op };
          var value = defaultValue(first === APPLICANT_DEPARTMENT ? "department" : kindOf(field), op);
          if (value !== undefined) { clause.value = value; }
          clauses.push(clause);
          owner[prop] = condition;
        });
      }
    }, "+ " + gettext("Add a condition")));
    return box;
  }

  // --- details ---------------------------------------------------------------------------

  function renderDetails() {
    var d = state.details;
    var panel = h("div", { class: "card wf-panel-body" });
    panel.append(
      h("div", { class: "form-row" },
        textInput(gettext("Name (Chinese)"), function () { return d.name_zh; },
          function (v) { d.name_zh = v; }, "details:name_zh", { maxlength: 80, required: true }),
        textInput(gettext("Name (English)"), function () { return d.name_en; },
          function (v) { d.name_en = v; }, "details:name_en", { maxlength: 120 })),
      h("div", { class: "form-row" },
        textInput(gettext("Category"), function () { return d.category; },
          function (v) { d.category = v; }, "details:category",
          { maxlength: 40, help: gettext("Approvals of one category are listed together.") }),
        textInput(gettext("Icon"), function () { return d.icon; },
          function (v) { d.icon = v; }, "details:icon", { maxlength: 32 })),
      textInput(gettext("Description"), function () { return d.description; },
        function (v) { d.description = v; }, "details:description", { multiline: true }),
      checkbox(gettext("Open for new requests"), function () { return d.is_active; },
        function (v) { d.is_active = v; }, "details:is_active",
        { help: gettext("Closed approvals keep their running requests but accept no new ones.") }));
    var starters = h("fieldset", { class: "wf-departments" },
      h("legend", {}, gettext("Who may start it")),
      h("p", { class: "help" }, gettext("Nothing ticked: all staff. A ticked department includes the departments under it.")));
    if (!departments.length) { starters.append(h("p", { class: "muted small" }, gettext("Loading departments…"))); }
    departmentDepths().forEach(function (pair) {
      var id = pair[0];
      var item = checkbox(pair[1].trim(), function () { return (d.starter_departments || []).indexOf(id) >= 0; },
        function (on) {
          var now = (d.starter_departments || []).filter(function (other) { return other !== id; });
          if (on) { now.push(id); }
          d.starter_departments = now;
        }, "details:starter:" + id);
      item.style.paddingInlineStart = ((pair[1].length - pair[1].trim().length) * 1.2) + "em";
      starters.append(item);
    });
    panel.append(starters);
    return panel;
  }

  // --- form designer ---------------------------------------------------------------------

  function newField(list, type) {
    var field = { name: uniqueName(list, type), type: type,
      label: { "zh-hans": "", en: "" }, required: false };
    if (type === "select" || type === "multiselect") {
      field.choices = [{ value: "a", label: { "zh-hans": "", en: "" } }];
    }
    if (type === "money") { field.currency = "CNY"; }
    if (type === "computed") { field.formula = ""; }
    if (type === "table") {
      field.columns = [{ name: "item", type: "text", label: { "zh-hans": "", en: "" }, required: true }];
      field.totals = [];
    }
    return field;
  }

  function formulaNames(fields) {
    var names = [];
    fields.forEach(function (field) {
      if (kindOf(field) === "number") { names.push(field.name); }
      if (field.type === "daterange") { names.push("days(" + field.name + ")"); }
      if (field.type === "table") {
        (field.columns || []).forEach(function (column) {
          if (kindOf(column) === "number") { names.push("sum(" + field.name + "." + column.name + ")"); }
        });
        names.push("count(" + field.name + ")");
      }
    });
    return names;
  }

  function choicesEditor(field, key) {
    var box = h("fieldset", { class: "wf-choices-editor" }, h("legend", {}, gettext("Choices")));
    var choices = field.choices || (field.choices = []);
    choices.forEach(function (choice, index) {
      if (!choice.label || typeof choice.label !== "object") { choice.label = { "zh-hans": "", en: "" }; }
      var name = labelOf(choice) || choice.value || String(index + 1);
      box.append(h("div", { class: "wf-choice" },
        textInput(gettext("Value"), function () { return choice.value; },
          function (v) { choice.value = v; }, key + ":" + index + ":value", { narrow: true }),
        textInput(gettext("Label (Chinese)"), function () { return choice.label["zh-hans"]; },
          function (v) { choice.label["zh-hans"] = v; }, key + ":" + index + ":zh"),
        textInput(gettext("Label (English)"), function () { return choice.label.en; },
          function (v) { choice.label.en = v; }, key + ":" + index + ":en"),
        h("div", { class: "wf-item-tools" }, moveTools(choices, index, key + ":" + index, name),
          toolButton("×", fmt(gettext("Remove %(name)s"), { name: name }), key + ":" + index + ":remove",
            function () { commit(function () { choices.splice(index, 1); }); }, { danger: true }))));
    });
    box.append(h("button", {
      type: "button", class: "button small secondary", "data-key": key + ":add",
      onclick: function () {
        commit(function () {
          var taken = {};
          choices.forEach(function (c) { taken[c.value] = true; });
          var number = choices.length + 1;
          while (taken["option_" + number]) { number++; }
          choices.push({ value: "option_" + number, label: { "zh-hans": "", en: "" } });
        });
      }
    }, "+ " + gettext("Add a choice")));
    return box;
  }

  function optionEditors(field, siblings, key) {
    var type = TYPES[field.type];
    var options = type ? type.options : [];
    var has = function (name) { return options.indexOf(name) >= 0; };
    var parts = [];
    var numbers = h("div", { class: "form-row" });
    if (has("min")) { numbers.append(numberInput(gettext("Smallest"), field, "min", key + ":min")); }
    if (has("max")) { numbers.append(numberInput(gettext("Largest"), field, "max", key + ":max")); }
    if (has("decimals")) { numbers.append(numberInput(gettext("Decimal places"), field, "decimals", key + ":decimals", { min: 0, max: 6, step: 1 })); }
    if (has("max_length")) { numbers.append(numberInput(gettext("Most characters"), field, "max_length", key + ":max_length", { min: 1, step: 1 })); }
    if (has("max_files")) { numbers.append(numberInput(gettext("Most files"), field, "max_files", key + ":max_files", { min: 1, max: 50, step: 1 })); }
    if (has("min_rows")) { numbers.append(numberInput(gettext("Fewest rows"), field, "min_rows", key + ":min_rows", { min: 0, step: 1 })); }
    if (has("max_rows")) { numbers.append(numberInput(gettext("Most rows"), field, "max_rows", key + ":max_rows", { min: 1, step: 1 })); }
    if (has("currency")) {
      numbers.append(textInput(gettext("Currency"), function () { return field.currency || "CNY"; },
        function (v) { field.currency = v.trim().toUpperCase() || "CNY"; }, key + ":currency", { maxlength: 3, narrow: true }));
    }
    if (has("unit")) {
      numbers.append(textInput(gettext("Unit"), function () { return field.unit; },
        function (v) { if (v) { field.unit = v; } else { delete field.unit; } }, key + ":unit", { maxlength: 20, narrow: true }));
    }
    if (numbers.childNodes.length) { parts.push(numbers); }
    if (has("placeholder")) {
      parts.push(textInput(gettext("Placeholder"), function () { return field.placeholder; },
        function (v) { if (v) { field.placeholder = v; } else { delete field.placeholder; } }, key + ":placeholder"));
    }
    if (has("multiple")) {
      parts.push(checkbox(gettext("Allow several"), function () { return field.multiple; },
        function (v) { if (v) { field.multiple = true; } else { delete field.multiple; } }, key + ":multiple"));
    }
    if (has("choices")) { parts.push(choicesEditor(field, key + ":choices")); }
    if (has("formula")) {
      var others = siblings.filter(function (f) { return f !== field; });
      var names = formulaNames(others);
      parts.push(textInput(gettext("Formula"), function () { return field.formula; },
        function (v) { field.formula = v; }, key + ":formula", {
          help: (names.length ? fmt(gettext("You can use: %(names)s."), { names: names.join(", ") })
            : gettext("Add number or money fields first.")) + " " +
            gettext("Functions: sum, min, max, round, abs, days, count. Example: sum(items.amount) * 1.13")
        }));
    }
    if (has("columns")) {
      var columns = field.columns || (field.columns = []);
      parts.push(h("fieldset", { class: "wf-columns" }, h("legend", {}, gettext("Columns")),
        renderFieldList(columns, { nested: true, key: key + ":columns" })));
      var numeric = columns.filter(function (c) { return kindOf(c) === "number"; });
      if (numeric.length) {
        var totals = h("fieldset", { class: "wf-totals" }, h("legend", {}, gettext("Show totals under the table")));
        numeric.forEach(function (column) {
          totals.append(checkbox(labelOf(column) || column.name, function () {
            return (field.totals || []).indexOf(column.name) >= 0;
          }, function (on) {
            var now = (field.totals || []).filter(function (n) { return n !== column.name; });
            if (on) { now.push(column.name); }
            field.totals = now;
          }, key + ":total:" + column.name));
        });
        parts.push(totals);
      }
    }
    return parts;
  }

  function setLabel(field, prop, language, value) {
    if (!field[prop] || typeof field[prop] !== "object") { field[prop] = {}; }
    field[prop][language] = value;
  }

  function fieldEditor(list, field, options, id, refreshHead) {
    var key = "f" + id;
    var editor = h("div", { class: "wf-editor", id: "wf-field-" + id });
    var typeChoices = data.field_types.filter(function (t) {
      return !options.nested || !NOT_IN_TABLE[t.code];
    }).map(function (t) { return [t.code, t.label]; });
    editor.append(
      h("div", { class: "form-row" },
        textInput(gettext("Label (Chinese)"), function () { return (field.label || {})["zh-hans"]; },
          function (v) { setLabel(field, "label", "zh-hans", v); }, key + ":label-zh", { after: refreshHead }),
        textInput(gettext("Label (English)"), function () { return (field.label || {}).en; },
          function (v) { setLabel(field, "label", "en", v); }, key + ":label-en", { after: refreshHead })),
      h("div", { class: "form-row" },
        textInput(gettext("Name"), function () { return field.name; },
          function (v) { field.name = v.trim(); }, key + ":name", {
            maxlength: 40, after: refreshHead,
            help: gettext("Lower-case letters, digits and _, starting with a letter; formulas and conditions use it.")
          }),
        selectInput(gettext("Type"), typeChoices, function () { return field.type; }, function (value) {
          var allowed = (TYPES[value] || { options: [] }).options;
          Object.keys(field).forEach(function (prop) {
            if (["name", "type", "label", "required", "help", "visible_if"].indexOf(prop) < 0 && allowed.indexOf(prop) < 0) {
              delete field[prop];
            }
          });
          var fresh = newField([], value);
          allowed.forEach(function (prop) { if (fresh[prop] !== undefined && field[prop] === undefined) { field[prop] = fresh[prop]; } });
          field.type = value;
        }, key + ":type", { structural: true })),
      checkbox(gettext("Required"), function () { return field.required; },
        function (v) { field.required = v; }, key + ":required", { after: refreshHead }),
      h("div", { class: "form-row" },
        textInput(gettext("Help (Chinese)"), function () { return (field.help || {})["zh-hans"]; },
          function (v) { setLabel(field, "help", "zh-hans", v); }, key + ":help-zh"),
        textInput(gettext("Help (English)"), function () { return (field.help || {}).en; },
          function (v) { setLabel(field, "help", "en", v); }, key + ":help-en")));
    optionEditors(field, list, key).forEach(function (part) { editor.append(part); });
    var others = list.filter(function (f) { return f !== field; });
    editor.append(conditionEditor(field, "visible_if", others, {
      key: key + ":visible", legend: gettext("Show this field only if"), applicant: !options.nested,
      dropWhenEmpty: true, empty: gettext("Always shown.")
    }));
    return editor;
  }

  function renderFieldItem(list, field, index, options) {
    var id = uid(field);
    var open = expanded.has(field);
    var title = h("strong", {});
    var meta = h("span", { class: "muted small" });
    function refreshHead() {
      title.textContent = labelOf(field) || gettext("(no label yet)");
      var type = TYPES[field.type] ? TYPES[field.type].label : field.type;
      meta.textContent = " " + type + " · " + (field.name || "?") +
        (field.required ? " · " + gettext("required") : "") +
        (field.visible_if ? " · " + gettext("conditional") : "");
    }
    refreshHead();
    var name = labelOf(field) || field.name;
    var head = h("div", { class: "wf-item-head" },
      h("button", {
        type: "button", class: "wf-item-title", "aria-expanded": open ? "true" : "false",
        "aria-controls": "wf-field-" + id, "data-key": "f" + id + ":toggle",
        onclick: function () { toggle(field); }
      }, title, meta),
      h("span", { class: "wf-item-tools" }, moveTools(list, index, "f" + id, name),
        toolButton("×", fmt(gettext("Remove %(name)s"), { name: name }), "f" + id + ":remove",
          function () { commit(function () { list.splice(index, 1); }); }, { danger: true })));
    var item = h("li", { class: "wf-item" + (open ? " is-open" : ""), "data-field": field.name }, head);
    if (open) { item.append(fieldEditor(list, field, options, id, refreshHead)); }
    return item;
  }

  function renderFieldList(list, options) {
    var box = h("div", { class: "wf-fields" });
    var palette = h("div", {
      class: "wf-palette", role: "group", id: options.nested ? null : "wf-palette",
      "aria-label": options.nested ? gettext("Add a column") : gettext("Add a field")
    }, h("span", { class: "wf-palette-title" }, options.nested ? gettext("Add a column:") : gettext("Add a field:")));
    data.field_types.forEach(function (type) {
      if (options.nested && NOT_IN_TABLE[type.code]) { return; }
      palette.append(h("button", {
        type: "button", class: "button small secondary", "data-type": type.code,
        "data-key": options.key + ":add:" + type.code,
        onclick: function () {
          commit(function () {
            var field = newField(list, type.code);
            list.push(field);
            expanded.add(field);
          });
          var added = list[list.length - 1];
          var input = root.querySelector('[data-key="f' + uid(added) + ':label-zh"]');
          if (input) { input.focus(); }
        }
      }, "+ " + type.label));
    });
    var items = h("ol", { class: "wf-field-list" });
    list.forEach(function (field, index) { items.append(renderFieldItem(list, field, index, options)); });
    if (!list.length) {
      items.append(h("li", { class: "empty" }, options.nested ? gettext("No columns yet.")
        : gettext("No fields yet: add one with the buttons above.")));
    }
    box.append(palette, items);
    return box;
  }

  function renderForm() {
    return h("div", { class: "card wf-panel-body" },
      h("p", { class: "help" }, gettext("The fields people fill in, in this order. Open a field to edit its label, name, options and when it is shown.")),
      renderFieldList(state.form, { nested: false, key: "form" }));
  }

  // --- process designer ------------------------------------------------------------------

  var NODE_TYPES = [
    ["approval", gettext("Approval")],
    ["handler", gettext("Handler")],
    ["cc", gettext("CC")],
    ["condition", gettext("Condition")],
    ["parallel", gettext("Parallel branches")]
  ];
  function nodeTypeLabel(type) {
    for (var i = 0; i < NODE_TYPES.length; i++) { if (NODE_TYPES[i][0] === type) { return NODE_TYPES[i][1]; } }
    return type;
  }
  var MODES = [
    ["sequential", gettext("One after another (依次)")],
    ["all", gettext("All must approve (会签)")],
    ["any", gettext("Any one approves (或签)")]
  ];
  var HANDLER_MODES = [["any", gettext("Any one completes it")], ["all", gettext("Everyone completes it")]];
  var SOURCE_KINDS = [
    ["people", gettext("Named people")],
    ["role", gettext("Everyone with a role")],
    ["manager", gettext("Manager, N levels up")],
    ["manager_chain", gettext("Consecutive managers, up to N levels")],
    ["department_head", gettext("Head of a department")],
    ["form_field", gettext("A person field of the form")],
    ["applicant_choice", gettext("Chosen by the applicant")],
    ["applicant", gettext("The applicant")]
  ];
  var TIMEOUT_ACTIONS = [
    ["remind", gettext("Remind the approver")],
    ["escalate", gettext("Hand it to someone else")],
    ["approve", gettext("Approve automatically")],
    ["reject", gettext("Reject automatically")]
  ];

  function newNode(type) {
    var node = { id: newNodeId(type), type: type, name: nodeTypeLabel(type) };
    // An acting step starts with a people picker: naming people is the common case.
    if (type === "approval") { node.mode = "sequential"; node.approvers = [{ kind: "people", ids: [] }]; }
    if (type === "handler") { node.mode = "any"; node.approvers = [{ kind: "people", ids: [] }]; }
    if (type === "cc") { node.approvers = [{ kind: "people", ids: [] }]; }
    if (type === "condition") {
      node.branches = [
        { id: "b1", name: fmt(gettext("Branch %(n)s"), { n: 1 }), when: { all: [] }, nodes: [] },
        { id: "default", name: gettext("Otherwise"), default: true, nodes: [] }];
    }
    if (type === "parallel") {
      node.branches = [
        { id: "b1", name: fmt(gettext("Branch %(n)s"), { n: 1 }), nodes: [] },
        { id: "b2", name: fmt(gettext("Branch %(n)s"), { n: 2 }), nodes: [] }];
    }
    return node;
  }

  function sourceText(source) {
    switch (source.kind) {
      case "people": return (source.ids || []).map(personName).join(", ") || gettext("nobody yet");
      case "role": return fmt(gettext("role %(role)s"), { role: roleName(source.code) });
      case "manager": return fmt(gettext("manager %(n)s level(s) up"), { n: source.levels || 1 });
      case "manager_chain": return fmt(gettext("managers up to level %(n)s"), { n: source.levels || 1 });
      case "department_head": return fmt(gettext("head of %(department)s"), { department: departmentName(source.department_id) });
      case "form_field": {
        var field = fieldByName(state.form, source.field);
        return fmt(gettext("the person in %(field)s"), { field: field ? labelOf(field) : (source.field || "?") });
      }
      case "applicant_choice": return gettext("chosen by the applicant");
      case "applicant": return gettext("the applicant");
      default: return source.kind;
    }
  }

  function nodeSummary(node) {
    if (node.type === "condition" || node.type === "parallel") {
      return fmt(gettext("%(n)s branches"), { n: (node.branches || []).length });
    }
    var who = (node.approvers || []).map(sourceText).join("; ") || gettext("Nobody chosen yet");
    if (node.type === "approval") {
      var mode = MODES.filter(function (m) { return m[0] === (node.mode || "sequential"); })[0];
      return who + " · " + (mode ? mode[1] : node.mode);
    }
    return who;
  }

  function sourceParams(source, key) {
    switch (source.kind) {
      case "people":
        return peoplePicker(gettext("People"), function () { return source.ids || []; },
          function (list) { source.ids = list; }, key + ":people", true);
      case "role":
        return selectInput(gettext("Role"), [["", gettext("Choose a role")]].concat(
          data.roles.map(function (r) { return [r.code, r.name]; })),
          function () { return source.code; }, function (v) { source.code = v; }, key + ":role",
          { after: render });
      case "manager":
      case "manager_chain":
        return numberInput(source.kind === "manager" ? gettext("Levels up") : gettext("Up to level"),
          source, "levels", key + ":levels", { min: 1, max: 10, step: 1 });
      case "department_head":
        return departmentSelect(gettext("Department"), function () { return source.department_id; },
          function (v) { source.department_id = v; }, key + ":department", { after: render });
      case "form_field": {
        var people = state.form.filter(function (f) { return f.type === "person"; });
        return selectInput(gettext("Person field"), [["", people.length ? "—" : gettext("The form has no person field")]].concat(
          people.map(function (f) { return [f.name, labelOf(f) || f.name]; })),
          function () { return source.field; }, function (v) { source.field = v; }, key + ":field",
          { after: render });
      }
      default:
        return null;
    }
  }

  function sourcesEditor(owner, prop, legend, key) {
    var sources = owner[prop] || (owner[prop] = []);
    var box = h("fieldset", { class: "wf-sources" }, h("legend", {}, legend));
    sources.forEach(function (source, index) {
      var rowKey = key + ":" + index;
      box.append(h("div", { class: "wf-source" },
        selectInput(gettext("Who"), SOURCE_KINDS, function () { return source.kind; }, function (value) {
          Object.keys(source).forEach(function (p) { delete source[p]; });
          source.kind = value;
          if (value === "people") { source.ids = []; }
          if (value === "role") { source.code = ""; }
          if (value === "manager" || value === "manager_chain") { source.levels = 1; }
          if (value === "department_head") { source.department_id = null; }
          if (value === "form_field") { source.field = ""; }
        }, rowKey + ":kind", { structural: true }),
        sourceParams(source, rowKey),
        h("div", { class: "wf-clause-tools" }, toolButton("×", fmt(gettext("Remove %(name)s"), { name: sourceText(source) }),
          rowKey + ":remove", function () { commit(function () { sources.splice(index, 1); }); }, { danger: true }))));
    });
    if (!sources.length) { box.append(h("p", { class: "muted small" }, gettext("Nobody chosen yet."))); }
    box.append(h("button", {
      type: "button", class: "button small secondary", "data-key": key + ":add",
      onclick: function () { commit(function () { sources.push({ kind: "people", ids: [] }); }); }
    }, "+ " + gettext("Add who acts")));
    return box;
  }

  function nodeEditor(node, key) {
    var editor = h("div", { class: "wf-editor", id: "wf-node-" + uid(node) });
    editor.append(textInput(gettext("Step name"), function () { return node.name; },
      function (v) { node.name = v; }, key + ":name", { maxlength: 80 }));
    if (node.type === "approval") {
      editor.append(selectInput(gettext("When several people approve"), MODES,
        function () { return node.mode || "sequential"; }, function (v) { node.mode = v; }, key + ":mode",
        { after: render }));
    }
    if (node.type === "handler") {
      editor.append(selectInput(gettext("When several people handle it"), HANDLER_MODES,
        function () { return node.mode || "any"; }, function (v) { node.mode = v; }, key + ":mode",
        { after: render }));
    }
    if (node.type === "approval" || node.type === "handler" || node.type === "cc") {
      var legend = { approval: gettext("Approvers"), handler: gettext("Handlers"), cc: gettext("Recipients") }[node.type];
      editor.append(sourcesEditor(node, "approvers", legend, key + ":approvers"));
    }
    if (node.type === "approval" || node.type === "handler") {
      editor.append(selectInput(gettext("When nobody is found"), [
        ["", gettext("As in the settings")], ["skip", gettext("Skip this step")],
        ["admin", gettext("Send to an approvals administrator")]],
      function () { return node.on_empty || ""; },
      function (v) { if (v) { node.on_empty = v; } else { delete node.on_empty; } }, key + ":on_empty"));
    }
    if (node.type === "approval") {
      editor.append(checkbox(gettext("Time limit"), function () { return !!node.timeout; }, function (on) {
        if (on) { node.timeout = { hours: 24, action: "remind" }; } else { delete node.timeout; }
      }, key + ":timeout", { structural: true }));
      if (node.timeout) {
        var timeout = node.timeout;
        var limits = h("fieldset", { class: "wf-timeout" }, h("legend", {}, gettext("When the time runs out")),
          h("div", { class: "form-row" },
            numberInput(gettext("Hours"), timeout, "hours", key + ":hours", { min: 1, max: 2160, step: 1 }),
            selectInput(gettext("Then"), TIMEOUT_ACTIONS, function () { return timeout.action; }, function (v) {
              timeout.action = v;
              if (v === "escalate" && !timeout.escalate_to) { timeout.escalate_to = []; }
              if (v !== "escalate") { delete timeout.escalate_to; }
            }, key + ":action", { structural: true })));
        if (timeout.action === "escalate") {
          limits.append(sourcesEditor(timeout, "escalate_to", gettext("Hand it to"), key + ":escalate"));
        }
        editor.append(limits);
      }
    }
    if (node.type === "condition") {
      editor.append(h("p", { class: "help" }, gettext("Branches are tried from left to right; the first whose condition holds is taken. The last branch is taken when no other applies.")));
    }
    if (node.type === "parallel") {
      editor.append(h("p", { class: "help" }, gettext("All branches run at the same time; the process goes on when every branch is done.")));
    }
    return editor;
  }

  function insertPoint(nodes, index) {
    var key = "ins" + uid(nodes) + ":" + index;
    var open = openInsert === key;
    var box = h("div", { class: "wf-insert" + (open ? " is-open" : "") });
    box.append(h("button", {
      type: "button", class: "wf-plus", "aria-expanded": open ? "true" : "false",
      "aria-label": gettext("Add a step here"), title: gettext("Add a step here"), "data-key": key,
      onclick: function () { openInsert = open ? null : key; render(); }
    }, "+"));
    if (open) {
      var menu = h("div", {
        class: "wf-insert-menu", role: "group", "aria-label": gettext("Kind of step"),
        onkeydown: function (event) {
          if (event.key === "Escape") { openInsert = null; render(); }
        }
      });
      NODE_TYPES.forEach(function (pair) {
        menu.append(h("button", {
          type: "button", class: "button small secondary", "data-node-type": pair[0],
          "data-key": key + ":" + pair[0],
          onclick: function () {
            var node = newNode(pair[0]);
            openInsert = null;
            commit(function () {
              nodes.splice(index, 0, node);
              if (pair[0] !== "condition" && pair[0] !== "parallel") { expanded.add(node); }
            });
            var target = root.querySelector('[data-key="n' + uid(node) + ':name"]') ||
              root.querySelector('[data-key="n' + uid(node) + ':toggle"]');
            if (target) { target.focus(); }
          }
        }, pair[1]));
      });
      box.append(menu);
    }
    return box;
  }

  function renderSequence(nodes) {
    var sequence = h("div", { class: "wf-sequence" });
    nodes.forEach(function (node, index) {
      sequence.append(insertPoint(nodes, index), renderNode(nodes, node, index));
    });
    sequence.append(insertPoint(nodes, nodes.length));
    return sequence;
  }

  function renderBranch(node, branch, index) {
    var branches = node.branches;
    var id = uid(branch);
    var key = "b" + id;
    var open = expanded.has(branch);
    var isDefault = !!branch.default;
    var name = branch.name || branch.id;
    var lastMovable = node.type === "condition" ? branches.length - 2 : branches.length - 1;
    var tools = h("span", { class: "wf-item-tools" });
    if (!isDefault) {
      tools.append.apply(tools, moveTools(branches, index, key, name, { horizontal: true, lastMovable: lastMovable }));
      // a condition keeps one branch besides its default; parallel branches stay two or more
      var removable = branches.length > 2;
      tools.append(toolButton("×", fmt(gettext("Remove branch %(name)s"), { name: name }), key + ":remove",
        function () { commit(function () { branches.splice(index, 1); }); },
        { danger: true, disabled: !removable }));
    }
    var summary = node.type === "condition"
      ? (isDefault ? gettext("When no other branch applies") : conditionText(branch.when, state.form))
      : "";
    var column = h("div", { class: "wf-branch" + (isDefault ? " is-default" : ""), "data-branch": branch.id },
      h("div", { class: "wf-branch-head" },
        h("button", {
          type: "button", class: "wf-item-title", "aria-expanded": open ? "true" : "false",
          "data-key": key + ":toggle", onclick: function () { toggle(branch); }
        }, h("strong", {}, name), summary ? h("span", { class: "small muted wf-branch-when" }, summary) : null),
        tools));
    if (open) {
      var editor = h("div", { class: "wf-editor" },
        textInput(gettext("Branch name"), function () { return branch.name; },
          function (v) { branch.name = v; }, key + ":name", { maxlength: 80 }));
      if (node.type === "condition" && !isDefault) {
        editor.append(conditionEditor(branch, "when", state.form, {
          key: key + ":when", legend: gettext("Take this branch when"), applicant: true,
          empty: gettext("Add at least one condition.")
        }));
      }
      if (isDefault) { editor.append(h("p", { class: "help" }, gettext("The default branch comes last and cannot be removed."))); }
      column.append(editor);
    }
    column.append(renderSequence(branch.nodes || (branch.nodes = [])));
    return column;
  }

  function renderNode(nodes, node, index) {
    var id = uid(node);
    var key = "n" + id;
    var open = expanded.has(node);
    var name = node.name || node.id;
    var card = h("div", { class: "wf-node wf-node-" + node.type, "data-node": node.id, "data-type": node.type });
    card.append(h("div", { class: "wf-node-head" },
      h("span", { class: "wf-node-type" }, nodeTypeLabel(node.type)),
      h("button", {
        type: "button", class: "wf-item-title", "aria-expanded": open ? "true" : "false",
        "aria-controls": "wf-node-" + id, "data-key": key + ":toggle",
        onclick: function () { toggle(node); }
      }, h("strong", {}, name), h("span", { class: "small muted wf-node-summary" }, nodeSummary(node))),
      h("span", { class: "wf-item-tools" }, moveTools(nodes, index, key, name),
        toolButton("×", fmt(gettext("Remove %(name)s"), { name: name }), key + ":remove",
          function () { commit(function () { nodes.splice(index, 1); }); }, { danger: true }))));
    if (open) { card.append(nodeEditor(node, key)); }
    if (node.type === "condition" || node.type === "parallel") {
      var branches = node.branches || (node.branches = []);
      var row = h("div", { class: "wf-branches" });
      branches.forEach(function (branch, i) { row.append(renderBranch(node, branch, i)); });
      card.append(row, h("button", {
        type: "button", class: "button small secondary", "data-key": key + ":add-branch",
        onclick: function () {
          commit(function () {
            var fresh = { id: newBranchId(branches), name: fmt(gettext("Branch %(n)s"), { n: branches.length + (node.type === "parallel" ? 1 : 0) }), nodes: [] };
            if (node.type === "condition") {
              fresh.when = { all: [] };
              var at = branches.length && branches[branches.length - 1].default ? branches.length - 1 : branches.length;
              branches.splice(at, 0, fresh);
            } else { branches.push(fresh); }
            expanded.add(fresh);
          });
        }
      }, "+ " + gettext("Add a branch")));
    }
    return card;
  }

  function renderSettings() {
    var settings = state.definition.settings;
    return h("fieldset", { class: "wf-settings" }, h("legend", {}, gettext("Settings")),
      h("div", { class: "form-row" },
        selectInput(gettext("When one person would approve twice"), [
          ["consecutive", gettext("Skip them in the step right after their approval")],
          ["once", gettext("They approve only once in the whole request")],
          ["none", gettext("They approve every time")]],
        function () { return settings.dedup || "consecutive"; }, function (v) { settings.dedup = v; }, "settings:dedup"),
        selectInput(gettext("When a step finds nobody to act"), [
          ["skip", gettext("Skip the step")], ["admin", gettext("Send it to an approvals administrator")]],
        function () { return settings.on_empty || "skip"; }, function (v) { settings.on_empty = v; }, "settings:on_empty")),
      checkbox(gettext("Approve steps automatically where the applicant is the approver"),
        function () { return settings.auto_approve_applicant !== false; },
        function (v) { settings.auto_approve_applicant = v; }, "settings:auto_approve"));
  }

  function renderProcess() {
    return h("div", { class: "card wf-panel-body" }, renderSettings(),
      h("div", { class: "wf-flow", role: "group", "aria-label": gettext("Process") },
        h("div", { class: "wf-endpoint" }, gettext("The applicant submits")),
        renderSequence(state.definition.nodes),
        h("div", { class: "wf-endpoint" }, gettext("Done: the applicant is told the outcome"))));
  }

  // --- saving, checking, publishing ------------------------------------------------------

  var statusLine = h("p", { class: "wf-status", role: "status", "aria-live": "polite" });
  var problemsBox = h("div", { class: "wf-problems", id: "wf-problems", tabindex: "-1" });

  function showStatus(text, tone) {
    statusLine.textContent = text;
    statusLine.className = "wf-status" + (tone ? " is-" + tone : "");
  }

  function showProblems(title, problems, tone) {
    problemsBox.textContent = "";
    if (!title && !(problems && problems.length)) { problemsBox.hidden = true; return; }
    problemsBox.hidden = false;
    problemsBox.className = "wf-problems message " + (tone || "error");
    problemsBox.setAttribute("role", tone === "error" ? "alert" : "status");
    problemsBox.append(h("p", {}, h("strong", {}, title)));
    if (problems && problems.length) {
      problemsBox.append(h("ul", {}, problems.map(function (p) { return h("li", {}, p); })));
    }
  }

  function post(body) {
    return fetch(data.urls.save, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
        "X-CSRFToken": root.getAttribute("data-csrf") || "" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return { detail: response.statusText }; })
        .then(function (json) { return { ok: response.ok, status: response.status, json: json }; });
    });
  }

  function failure(result) {
    var json = result.json || {};
    var problems = json.problems || [];
    if (!problems.length && json.fields) {
      problems = Object.keys(json.fields).map(function (k) { return k + ": " + json.fields[k]; });
    }
    showProblems(json.detail || gettext("Something went wrong."), problems, "error");
    showStatus(gettext("Not done: see the problems below."), "bad");
  }

  function network() {
    showStatus(gettext("The server did not answer; nothing was changed. Try again."), "bad");
  }

  function save() {
    return post({ action: "save", form: state.form, definition: state.definition, details: state.details })
      .then(function (result) {
        if (!result.ok) { failure(result); return false; }
        dirty = false;
        data.process.changed = result.json.changed;
        showStatus(result.json.message, "ok");
        updateVersion();
        return true;
      });
  }

  function withBusy(work) {
    if (busy) { return; }
    busy = true;
    buttons.forEach(function (b) { b.disabled = true; });
    work().catch(network).then(function () {
      busy = false;
      buttons.forEach(function (b) { b.disabled = false; });
      undoButton.disabled = !undoStack.length;
    });
  }

  var saveButton = h("button", { type: "button", class: "button", "data-action": "save",
    onclick: function () { withBusy(function () { showProblems(); return save(); }); } }, gettext("Save draft"));
  var checkButton = h("button", { type: "button", class: "button secondary", "data-action": "check",
    onclick: function () {
      withBusy(function () {
        return post({ action: "check", form: state.form, definition: state.definition }).then(function (result) {
          if (!result.ok) { failure(result); return; }
          var problems = result.json.problems || [];
          showProblems(result.json.message, problems, problems.length ? "error" : "success");
          showStatus(problems.length ? fmt(gettext("%(n)s problem(s) found."), { n: problems.length }) : result.json.message,
            problems.length ? "bad" : "ok");
          problemsBox.focus();
        });
      });
    } }, gettext("Check"));
  var noteId = elementId();
  var noteInput = h("input", { type: "text", id: noteId, maxlength: 200, "data-key": "publish:note",
    placeholder: gettext("e.g. Finance approves above 5,000") });
  var publishButton = h("button", { type: "button", class: "button", "data-action": "publish",
    onclick: function () {
      withBusy(function () {
        showProblems();
        return save().then(function (saved) {
          if (!saved) { return; }
          return post({ action: "publish", note: noteInput.value }).then(function (result) {
            if (!result.ok) { failure(result); problemsBox.focus(); return; }
            data.process.version = result.json.version;
            data.process.changed = false;
            noteInput.value = "";
            showStatus(result.json.message, "ok");
            showProblems(result.json.message, [], "success");
            updateVersion();
          });
        });
      });
    } }, gettext("Publish"));
  var undoButton = h("button", { type: "button", class: "button secondary", "data-action": "undo", disabled: true,
    onclick: function () {
      if (!undoStack.length) { return; }
      state = JSON.parse(undoStack.pop());
      touched();
      render();
    } }, gettext("Undo"));
  var buttons = [saveButton, checkButton, publishButton];
  var versionLine = h("span", { class: "wf-version" });

  function updateVersion() {
    var text = data.process.version
      ? fmt(gettext("Published: version %(n)s."), { n: data.process.version })
      : gettext("Not published yet.");
    if (data.process.version && data.process.changed) { text += " " + gettext("The saved draft differs from it."); }
    versionLine.textContent = text;
  }

  // --- tabs and page ---------------------------------------------------------------------

  var TABS = [["details", gettext("Details")], ["form", gettext("Form")], ["process", gettext("Process")]];
  var tabButtons = {};
  var panels = {};
  var tabList = h("div", { class: "tabs wf-tabs", role: "tablist", "aria-label": gettext("Parts of the approval") });
  TABS.forEach(function (pair, index) {
    var button = h("button", {
      type: "button", role: "tab", id: "wf-tab-" + pair[0], "aria-controls": "wf-panel-" + pair[0],
      "data-tab": pair[0],
      onclick: function () { selectTab(pair[0]); },
      onkeydown: function (event) {
        var by = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!by) { return; }
        event.preventDefault();
        var next = TABS[(index + by + TABS.length) % TABS.length][0];
        selectTab(next);
        tabButtons[next].focus();
      }
    }, pair[1]);
    tabButtons[pair[0]] = button;
    tabList.append(button);
    panels[pair[0]] = h("section", { id: "wf-panel-" + pair[0], role: "tabpanel", "aria-labelledby": "wf-tab-" + pair[0], class: "wf-panel" });
  });

  function selectTab(name) {
    activeTab = name;
    if (history.replaceState) { history.replaceState(null, "", "#" + name); }
    TABS.forEach(function (pair) {
      var on = pair[0] === name;
      tabButtons[pair[0]].setAttribute("aria-selected", on ? "true" : "false");
      tabButtons[pair[0]].setAttribute("tabindex", on ? "0" : "-1");
      panels[pair[0]].hidden = !on;
    });
  }

  function render() {
    var active = document.activeElement;
    var focusKey = active && active.getAttribute ? active.getAttribute("data-key") : null;
    panels.details.replaceChildren(renderDetails());
    panels.form.replaceChildren(renderForm());
    panels.process.replaceChildren(renderProcess());
    undoButton.disabled = busy || !undoStack.length;
    if (focusKey && (!document.activeElement || document.activeElement === document.body || !root.contains(document.activeElement))) {
      var again = root.querySelector('[data-key="' + focusKey.replace(/["\\]/g, "\\$&") + '"]');
      if (again && !again.disabled) { again.focus(); }
    }
  }

  var bar = h("div", { class: "wf-bar" },
    h("div", { class: "wf-bar-buttons" }, saveButton, checkButton, undoButton),
    h("div", { class: "wf-publish" },
      h("label", { for: noteId }, gettext("What changed")), noteInput, publishButton),
    h("div", { class: "wf-bar-status" }, versionLine, statusLine));
  problemsBox.hidden = true;
  root.replaceChildren(bar, problemsBox, tabList, panels.details, panels.form, panels.process);
  updateVersion();
  selectTab(activeTab);
  render();
  root.setAttribute("data-ready", "true");

  if (!departments.length && data.urls.departments) {
    fetch(data.urls.departments, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (list) {
        departments = (Array.isArray(list) ? list : list.items || []).map(function (d) {
          return { id: d.id, parent_id: d.parent_id,
            name: LANG === "zh-hans" || !d.name_en ? d.name_zh : d.name_en };
        });
        render();
      })
      .catch(function () { /* the pickers stay empty; saving still works */ });
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      saveButton.click();
    }
  });
})();
