// Approval forms: search pickers for people and objects, uploads, tables with rows
// added and removed, computed fields worked out as you type, and fields shown only when their
// condition holds. Everything here is a convenience: the form posts plain names
// (f.<field>, f.<table>.<row>.<column>) that work without JavaScript, and the server
// validates, recomputes and decides visibility again. Every text a person reads comes from
// data-text-* attributes on the form, translated on the server.
(function () {
  "use strict";

  function texts(root) {
    var get = function (name) { return root.getAttribute("data-text-" + name) || ""; };
    return {
      search: get("search"), searchObject: get("search-object"), remove: get("remove"),
      none: get("none"), failed: get("failed"), uploading: get("uploading"),
      uploadFailed: get("upload-failed"), notImage: get("not-image"), days: get("days"),
      choose: get("choose")
    };
  }

  function csrf(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function parseJson(text, fallback) {
    try { return JSON.parse(text || ""); } catch (error) { return fallback; }
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      });
  }

  // --- Pickers: people and objects --------------------------------------------------

  function personName(item) {
    var zh = item.name_zh || "", en = item.name_en || "";
    var name = zh && en && zh !== en ? zh + " · " + en : (zh || en || item.username || "");
    var department = item.department ? (item.department.name_zh || item.department.name_en) : "";
    return department ? name + " (" + department + ")" : name;
  }

  function objectName(item) {
    var title = item.title || {};
    var text = title["zh-Hans"] || title.en || Object.keys(title).map(function (k) {
      return title[k];
    })[0] || "";
    return (item.object_number || "#" + item.id) + " " + text;
  }

  var SEARCHES = {
    person: function (root, query) {
      return getJson(root.getAttribute("data-people-url") + "?limit=8&search=" +
                     encodeURIComponent(query))
        .then(function (page) {
          return (page.items || []).map(function (item) {
            return { id: item.id, name: personName(item) };
          });
        });
    },
    object: function (root, query) {
      return getJson(root.getAttribute("data-objects-url") + "?limit=8&text=" +
                     encodeURIComponent(query))
        .then(function (page) {
          return (page.items || []).map(function (item) {
            return { id: item.id, name: objectName(item) };
          });
        });
    }
  };

  function setupSearchPicker(root, input, t) {
    var kind = input.getAttribute("data-picker");
    var multiple = input.getAttribute("data-multiple") === "true";
    var picked = parseJson(input.getAttribute("data-items"), []);
    var wrapper = el("div", { "class": "wf-picker" });
    var chips = el("ul", { "class": "wf-chips", "aria-live": "polite" });
    var search = el("input", {
      type: "search", id: input.id + "_search", autocomplete: "off",
      placeholder: kind === "object" ? t.searchObject : t.search,
      "aria-describedby": input.getAttribute("aria-describedby") || ""
    });
    var results = el("ul", { "class": "wf-results", role: "listbox", hidden: "" });
    var note = input.parentNode.querySelector(".wf-names");
    if (note) { note.hidden = true; }
    // The typed ids stay the value that is posted; the label now points at the search box.
    var label = document.querySelector("label[for='" + input.id + "']");
    if (label) { label.setAttribute("for", search.id); }
    input.type = "hidden";
    input.parentNode.insertBefore(wrapper, input.nextSibling);
    wrapper.appendChild(chips);
    wrapper.appendChild(search);
    wrapper.appendChild(results);

    function sync() {
      input.value = picked.map(function (item) { return item.id; }).join(",");
      chips.textContent = "";
      picked.forEach(function (item, index) {
        var chip = el("li", { "class": "wf-chip" });
        chip.appendChild(el("span", {}, item.name));
        var remove = el("button", { type: "button", "class": "link-button",
                                    "aria-label": t.remove + " " + item.name }, "×");
        remove.addEventListener("click", function () {
          picked.splice(index, 1);
          sync();
          search.focus();
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      search.hidden = !multiple && picked.length > 0;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function choose(item) {
      if (picked.some(function (other) { return String(other.id) === String(item.id); })) {
        return;
      }
      if (!multiple) { picked = []; }
      picked.push(item);
      search.value = "";
      results.hidden = true;
      sync();
    }

    var timer = null;
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      var query = search.value.trim();
      if (query.length < 1) { results.hidden = true; return; }
      timer = window.setTimeout(function () {
        SEARCHES[kind](root, query).then(function (items) {
          results.textContent = "";
          if (!items.length) { results.appendChild(el("li", { "class": "muted" }, t.none)); }
          items.forEach(function (item) {
            var option = el("li", { role: "option" });
            var button = el("button", { type: "button", "class": "wf-result" }, item.name);
            button.addEventListener("click", function () { choose(item); search.focus(); });
            option.appendChild(button);
            results.appendChild(option);
          });
          results.hidden = false;
        }).catch(function () {
          results.textContent = "";
          results.appendChild(el("li", { "class": "field-error" }, t.failed));
          results.hidden = false;
        });
      }, 250);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();  // Enter picks the first result instead of posting the form
        var first = results.querySelector(".wf-result");
        if (first && !results.hidden) { first.click(); }
      } else if (event.key === "Escape") {
        results.hidden = true;
      }
    });
    sync();
  }

  function setupPickers(root, scope, t) {
    scope.querySelectorAll("input[data-picker]").forEach(function (input) {
      if (input.getAttribute("data-ready")) { return; }
      input.setAttribute("data-ready", "true");
      if (!window.fetch) { return; }
      if (SEARCHES[input.getAttribute("data-picker")]) {
        setupSearchPicker(root, input, t);
      }
    });
  }

  // --- Uploads -----------------------------------------------------------------------------

  function setupUploads(root, scope, t) {
    scope.querySelectorAll("input[type=file][data-upload]").forEach(function (input) {
      if (!window.fetch || !window.FormData) { return; }
      var name = input.getAttribute("data-upload");
      var field = input.closest(".wf-field");
      var list = field.querySelector("[data-files]");
      var error = field.querySelector("[data-upload-error]");
      input.addEventListener("change", function () {
        var files = Array.prototype.slice.call(input.files || []);
        error.hidden = true;
        files.forEach(function (file) {
          var row = el("label", { "class": "check wf-file" }, t.uploading + " " + file.name);
          list.appendChild(row);
          var body = new FormData();
          body.append("file", file);
          fetch(root.getAttribute("data-upload-url"), {
            method: "POST", body: body, credentials: "same-origin",
            headers: { "X-CSRFToken": csrf(root), "Accept": "application/json" }
          }).then(function (response) {
            return response.json().then(function (data) { return [response.ok, data]; });
          }).then(function (result) {
            var data = result[1];
            if (!result[0]) {
              throw new Error((data.fields && data.fields.file) || data.detail || "");
            }
            if (input.getAttribute("data-images") === "true" && !data.is_image) {
              throw new Error(t.notImage);
            }
            row.textContent = "";
            var box = el("input", { type: "checkbox", name: name, value: String(data.id) });
            box.checked = true;
            row.appendChild(box);
            row.appendChild(document.createTextNode(" "));
            row.appendChild(el("a", { href: data.url, target: "_blank", rel: "noopener" },
                               data.name));
            changed(root);
          }).catch(function (problem) {
            row.remove();
            error.textContent = t.uploadFailed + " " + file.name + " " + (problem.message || "");
            error.hidden = false;
          });
        });
        // The files travel as uploads already: the form must not send them a second time.
        input.value = "";
      });
    });
  }

  // --- Values, conditions and formulas ---------------------------------------------------------

  function number(text) {
    if (text === null || text === undefined || text === "") { return null; }
    var value = Number(String(text).replace(/,/g, "").trim());
    return isFinite(value) ? value : null;
  }

  function isWeekday(text) {
    var day = new Date(text + "T00:00:00");
    return !isNaN(day) && day.getDay() !== 0 && day.getDay() !== 6;
  }

  function weekdays(start, end) {
    var from = new Date(start + "T00:00:00"), to = new Date(end + "T00:00:00");
    if (isNaN(from) || isNaN(to) || to < from) { return null; }
    var count = 0;
    for (var day = new Date(from); day <= to; day.setDate(day.getDate() + 1)) {
      if (day.getDay() !== 0 && day.getDay() !== 6) { count += 1; }
      if (count > 5000) { break; }
    }
    return count;
  }

  function valueOf(field) {
    var type = field.getAttribute("data-type");
    var inputs = field.querySelectorAll("[name]");
    var own = Array.prototype.filter.call(inputs, function (input) {
      return input.closest(".wf-field") === field && !input.disabled;
    });
    if (type === "multiselect" || type === "attachment" || type === "image") {
      return own.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (type === "daterange") {
      var part = function (suffix) {
        var found = own.filter(function (i) { return i.name.slice(-suffix.length) === suffix; });
        return found.length ? found[0].value : "";
      };
      var start = part(".start"), end = part(".end");
      if (!start && !end) { return null; }
      var days = start && end ? weekdays(start, end) : null;
      // A preview only (weekdays): the server counts with the attendance calendar.
      if (days !== null && part(".start_half") === "pm" && isWeekday(start)) { days -= 0.5; }
      if (days !== null && part(".end_half") === "am" && isWeekday(end)) { days -= 0.5; }
      return { start: start, end: end, days: days };
    }
    if (type === "table") {
      return Array.prototype.map.call(field.querySelectorAll("[data-rows] > [data-row]"),
        function (row) {
          var values = {};
          row.querySelectorAll(".wf-field").forEach(function (cell) {
            values[cell.getAttribute("data-field")] = valueOf(cell);
          });
          return values;
        });
    }
    if (type === "computed") {
      var output = field.querySelector("output");
      return output ? number(output.getAttribute("data-value")) : null;
    }
    var input = own[0];
    if (!input) { return null; }
    if (input.tagName === "SELECT" && input.multiple) {
      return Array.prototype.filter.call(input.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
    }
    if (type === "number" || type === "money") { return number(input.value); }
    if (["person", "department", "location", "object"].indexOf(type) !== -1) {
      var ids = (input.value || "").split(/[\s,]+/).filter(Boolean).map(Number);
      var options = parseJson(field.getAttribute("data-options"), {});
      if (options.multiple) { return ids; }
      return ids.length ? ids[0] : null;
    }
    return input.value === "" ? null : input.value;
  }

  function isEmpty(value) {
    return value === null || value === undefined || value === "" ||
      (Array.isArray(value) && !value.length);
  }

  function compare(op, actual, expected, kind) {
    if (op === "empty") { return isEmpty(actual); }
    if (op === "not_empty") { return !isEmpty(actual); }
    if (kind === "number") {
      var left = number(actual), right = number(expected);
      if (left === null || right === null) { return op === "ne" && left !== right; }
      return { eq: left === right, ne: left !== right, gt: left > right, ge: left >= right,
               lt: left < right, le: left <= right }[op] || false;
    }
    if (op === "eq") { return String(actual) === String(expected) && !isEmpty(actual); }
    if (op === "ne") { return String(actual) !== String(expected); }
    if (op === "in") { return (expected || []).map(String).indexOf(String(actual)) !== -1; }
    if (op === "not_in") { return (expected || []).map(String).indexOf(String(actual)) === -1; }
    if (op === "contains") {
      if (Array.isArray(actual)) { return actual.map(String).indexOf(String(expected)) !== -1; }
      return typeof actual === "string" &&
        actual.toLowerCase().indexOf(String(expected).toLowerCase()) !== -1;
    }
    if (isEmpty(actual)) { return false; }
    var a = String(actual), b = String(expected);
    return { gt: a > b, ge: a >= b, lt: a < b, le: a <= b }[op] || false;
  }

  var KINDS = { number: "number", money: "number", computed: "number", text: "text",
                textarea: "text", select: "choice", multiselect: "choices", date: "date",
                person: "person", department: "department" };

  function holds(condition, values, kinds) {
    var clauses = condition.all || condition.any || [];
    if (!clauses.length) { return true; }
    var results = clauses.map(function (clause) {
      if (clause.field === "$applicant.department" || clause.op === "within") {
        return true;  // the department tree is the server's to judge
      }
      return compare(clause.op, values[clause.field], clause.value,
                     kinds[clause.field] || "other");
    });
    return condition.all ? results.every(Boolean) : results.some(Boolean);
  }

  // A small parser for computed-field formulas (formula.py): numbers, fields, table.column,
  // + - * / and parentheses, and sum min max round abs days count.
  function evaluate(formula, values) {
    var tokens = formula.match(/\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?|[-+*\/(),]/g) || [];
    var at = 0;
    function peek() { return tokens[at]; }
    function next() { return tokens[at++]; }
    function column(name) {
      var parts = name.split("."), rows = values[parts[0]] || [];
      return Array.isArray(rows) ? rows.map(function (row) {
        return toNumber(row ? row[parts[1]] : null);
      }) : [];
    }
    function toNumber(value) {
      if (value && typeof value === "object" && !Array.isArray(value)) {
        return toNumber(value.days);
      }
      var found = number(value);
      return found === null ? 0 : found;
    }
    function primary() {
      var token = next();
      if (token === "(") { var inner = expression(); next(); return inner; }
      if (token === "-") { return -primary(); }
      if (token === "+") { return primary(); }
      if (/^\d/.test(token || "")) { return Number(token); }
      if (!token) { throw new Error("end"); }
      if (peek() === "(") {
        next();
        var args = [], counts = 0;
        while (peek() !== ")" && peek() !== undefined) {
          var start = at;
          if (/\./.test(tokens[at]) && (tokens[at + 1] === "," || tokens[at + 1] === ")")) {
            var cells = column(next());
            args = args.concat(cells);
            counts += cells.length;
          } else if (token === "count" && (tokens[at + 1] === "," || tokens[at + 1] === ")") &&
                     Array.isArray(values[tokens[at]])) {
            counts += values[next()].length;
          } else {
            args.push(expression());
            counts += 1;
          }
          if (peek() === ",") { next(); }
          if (at === start) { throw new Error("stuck"); }
        }
        next();
        var sum = args.reduce(function (a, b) { return a + b; }, 0);
        if (token === "sum" || token === "days") { return sum; }
        if (token === "count") { return counts; }
        if (token === "min") { return args.length ? Math.min.apply(null, args) : 0; }
        if (token === "max") { return args.length ? Math.max.apply(null, args) : 0; }
        if (token === "abs") { return Math.abs(args[0] || 0); }
        if (token === "round") {
          var factor = Math.pow(10, args[1] || 0);
          return Math.round((args[0] || 0) * factor) / factor;
        }
        throw new Error("function");
      }
      if (token.indexOf(".") !== -1) {
        return column(token).reduce(function (a, b) { return a + b; }, 0);
      }
      return toNumber(values[token]);
    }
    function term() {
      var value = primary();
      while (peek() === "*" || peek() === "/") {
        var op = next(), right = primary();
        if (op === "/" && right === 0) { throw new Error("zero"); }
        value = op === "*" ? value * right : value / right;
      }
      return value;
    }
    function expression() {
      var value = term();
      while (peek() === "+" || peek() === "-") {
        value = next() === "+" ? value + term() : value - term();
      }
      return value;
    }
    var result = expression();
    if (at !== tokens.length) { throw new Error("trailing"); }
    return result;
  }

  function format(value, decimals) {
    return value.toLocaleString(undefined, { minimumFractionDigits: decimals,
                                             maximumFractionDigits: decimals });
  }

  function refreshScope(scope, fields, t) {
    var values = {}, kinds = {};
    fields.forEach(function (field) {
      values[field.getAttribute("data-field")] = valueOf(field);
      kinds[field.getAttribute("data-field")] = KINDS[field.getAttribute("data-type")] || "other";
    });
    fields.forEach(function (field) {
      var type = field.getAttribute("data-type");
      if (type === "daterange") {
        var out = field.querySelector("[data-days]"), range = values[field.getAttribute("data-field")];
        if (out) {
          out.textContent = range && range.days !== null && range.days !== undefined ?
            t.days.replace("{n}", String(range.days)) : "";
        }
      }
      if (type === "computed") {
        var output = field.querySelector("output[data-formula]");
        var decimals = Number(output.getAttribute("data-decimals") || 2);
        try {
          var result = evaluate(output.getAttribute("data-formula"), values);
          output.setAttribute("data-value", String(result));
          output.textContent = isFinite(result) ? format(result, decimals) : "–";
          values[field.getAttribute("data-field")] = result;
        } catch (error) {
          output.removeAttribute("data-value");
          output.textContent = "–";
        }
      }
      if (type === "table") {
        var rows = values[field.getAttribute("data-field")] || [];
        field.querySelectorAll("[data-total]").forEach(function (total) {
          var name = total.getAttribute("data-total");
          var sum = rows.reduce(function (a, row) { return a + (number(row[name]) || 0); }, 0);
          total.textContent = format(sum, 2);
        });
      }
    });
    fields.forEach(function (field) {
      var rule = field.getAttribute("data-visible-if");
      if (!rule) { return; }
      var show = holds(parseJson(rule, {}), values, kinds);
      field.hidden = !show;
      field.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !show;
      });
    });
  }

  function refresh(root, t) {
    var top = Array.prototype.filter.call(root.querySelectorAll(".wf-field"), function (field) {
      return !field.parentNode.closest(".wf-field");
    });
    // Rows first (their computed columns and conditions see their own row), then the form.
    root.querySelectorAll("[data-rows] > [data-row]").forEach(function (row) {
      refreshScope(row, Array.prototype.slice.call(row.querySelectorAll(".wf-field")), t);
    });
    refreshScope(root, top, t);
  }

  var pending = null;
  function changed(root) {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { refresh(root, texts(root)); }, 60);
  }

  // --- Tables ----------------------------------------------------------------------------------

  function setupTables(root, t) {
    root.querySelectorAll("[data-table]").forEach(function (table) {
      var rows = table.querySelector("[data-rows]");
      var template = table.querySelector("template[data-row-template]");
      var add = table.querySelector("[data-add-row]");
      var options = parseJson(table.closest(".wf-field").getAttribute("data-options"), {});
      var next = Number(table.getAttribute("data-next-row") || 0);

      function renumber() {
        var all = rows.querySelectorAll("[data-row]");
        all.forEach(function (row, index) {
          var label = row.querySelector("[data-row-number]");
          if (label) { label.textContent = String(index + 1); }
          var remove = row.querySelector("[data-remove-row]");
          if (remove) { remove.hidden = all.length <= Math.max(options.min_rows || 0, 1); }
        });
        if (add) { add.hidden = Boolean(options.max_rows) && all.length >= options.max_rows; }
      }

      rows.addEventListener("click", function (event) {
        var button = event.target.closest("[data-remove-row]");
        if (!button) { return; }
        button.closest("[data-row]").remove();
        renumber();
        changed(root);
      });
      if (add && template) {
        add.addEventListener("click", function () {
          var html = template.innerHTML.replace(/__row__/g, String(next));
          next += 1;
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var row = holder.firstElementChild;
          rows.appendChild(row);
          setupPickers(root, row, texts(root));
          renumber();
          var first = row.querySelector("input, select, textarea");
          if (first) { first.focus(); }
          changed(root);
        });
      }
      renumber();
    });
  }

  function setup(root) {
    var t = texts(root);
    setupPickers(root, root, t);
    setupUploads(root, root, t);
    setupTables(root, t);
    root.addEventListener("input", function () { changed(root); });
    root.addEventListener("change", function () { changed(root); });
    refresh(root, t);
  }

  document.querySelectorAll("[data-wf-form]").forEach(setup);
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
