// HR's attendance rule pages. The roster grid marks the cells that differ from the shift in
// force and posts only those; the group page searches people by name (the directory API the
// approval forms use) and adds them as member rows; the shift form adds segment rows, says
// when a segment ends the next day and shows the fields of the chosen kind. Everything here
// is a convenience: every form works without JavaScript, and the server decides what changed.
(function () {
  "use strict";

  // gettext, ngettext and interpolate come from Django's JavaScript catalog (jsi18n),
  // loaded just before this file.
  /* global gettext, ngettext, interpolate */

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // --- The roster grid -----------------------------------------------------------------

  function setupRoster(form) {
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-initial]"));
    var output = form.querySelector("[data-changed-count]");
    var colorsNode = document.getElementById("shift-colors");
    var colors = colorsNode ? JSON.parse(colorsNode.textContent || "{}") : {};
    var submitting = false;

    function changedCount() {
      var changed = 0;
      selects.forEach(function (select) {
        var cell = select.closest("td");
        var isChanged = select.value !== select.getAttribute("data-initial");
        cell.classList.toggle("is-changed", isChanged);
        cell.style.setProperty("--shift-color", colors[select.value] || "transparent");
        if (isChanged) { changed += 1; }
      });
      if (output) {
        output.textContent = changed ? interpolate(ngettext("%(count)s cell changed",
                                                            "%(count)s cells changed", changed),
                                                   { count: changed }, true) : "";
      }
      return changed;
    }

    form.addEventListener("change", changedCount);
    form.addEventListener("submit", function (event) {
      if (!changedCount()) {
        event.preventDefault();
        if (output) { output.textContent = gettext("Nothing changed yet."); }
        return;
      }
      submitting = true;
      // Only the changed cells travel; the server would ignore the others anyway.
      selects.forEach(function (select) {
        if (select.value === select.getAttribute("data-initial")) { select.disabled = true; }
      });
    });
    window.addEventListener("beforeunload", function (event) {
      if (!submitting && changedCount()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    window.addEventListener("pageshow", function () {
      // Coming back through the browser's history: the disabled cells must work again.
      submitting = false;
      selects.forEach(function (select) { select.disabled = false; });
      changedCount();
    });
    changedCount();
  }

  // --- Members of a group ------------------------------------------------------------------

  function personName(item) {
    var zh = item.name_zh || "", en = item.name_en || "";
    var name = zh && en && zh !== en ? zh + " · " + en : (zh || en || item.username || "");
    var department = item.department ? (item.department.name_zh || item.department.name_en) : "";
    return department ? name + " (" + department + ")" : name;
  }

  function memberRow(item) {
    var id = String(item.id);
    var row = el("tr", { "data-member": id });
    var nameCell = el("td", {}, item.name);
    nameCell.appendChild(el("input", { type: "hidden", name: "listed", value: id }));
    row.appendChild(nameCell);
    var offsetCell = el("td");
    var label = el("label", { "class": "visually-hidden", "for": "id_offset_" + id },
                   interpolate(gettext("Position in the cycle of %(name)s"),
                               { name: item.name }, true));
    offsetCell.appendChild(label);
    offsetCell.appendChild(el("input", { type: "number", min: "0", max: "999",
                                         "class": "offset-input", name: "offset-" + id,
                                         id: "id_offset_" + id, value: "0" }));
    row.appendChild(offsetCell);
    var keepCell = el("td");
    var keep = el("label", { "class": "check" });
    var box = el("input", { type: "checkbox", name: "person", value: id });
    box.checked = true;
    keep.appendChild(box);
    keep.appendChild(document.createTextNode(" " + gettext("Keep")));
    keepCell.appendChild(keep);
    row.appendChild(keepCell);
    return row;
  }

  function setupMembers(form) {
    var input = form.querySelector("[data-member-search]");
    var rows = form.querySelector("[data-member-rows]");
    if (!input || !rows || !window.fetch) { return; }
    var url = form.getAttribute("data-people-url");
    var search = el("input", { type: "search", id: input.id, autocomplete: "off",
                               placeholder: gettext("Search by name") });
    var results = el("ul", { "class": "member-results", role: "listbox", hidden: "" });
    var help = input.parentNode.querySelector(".help");
    input.id = input.id + "_ids";
    input.type = "hidden";
    input.parentNode.insertBefore(search, input);
    input.parentNode.insertBefore(results, input.nextSibling);
    if (help) {
      // One literal: the catalogue extractors do not join concatenated strings.
      help.textContent = gettext(
        "Search by name and pick people to add them to the table; save to apply.");
    }

    function choose(item) {
      var existing = rows.querySelector("tr[data-member='" + String(item.id) + "']");
      if (existing) {
        existing.querySelector("input[name=person]").checked = true;
      } else {
        rows.appendChild(memberRow(item));
      }
      search.value = "";
      results.hidden = true;
      search.focus();
    }

    var timer = null;
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      var query = search.value.trim();
      if (!query) { results.hidden = true; return; }
      timer = window.setTimeout(function () {
        fetch(url + "?limit=8&search=" + encodeURIComponent(query), {
          credentials: "same-origin", headers: { "Accept": "application/json" }
        }).then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        }).then(function (page) {
          results.textContent = "";
          var items = (page.items || []).map(function (item) {
            return { id: item.id, name: personName(item) };
          });
          if (!items.length) {
            results.appendChild(el("li", { "class": "muted" }, gettext("Nothing found.")));
          }
          items.forEach(function (item) {
            var option = el("li", { role: "option" });
            var button = el("button", { type: "button", "class": "member-result" }, item.name);
            button.addEventListener("click", function () { choose(item); });
            option.appendChild(button);
            results.appendChild(option);
          });
          results.hidden = false;
        }).catch(function () {
          results.textContent = "";
          results.appendChild(el("li", { "class": "field-error" },
                                 gettext("The search failed; try again.")));
          results.hidden = false;
        });
      }, 250);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();  // Enter picks the first result instead of saving
        var first = results.querySelector(".member-result");
        if (first && !results.hidden) { first.click(); }
      } else if (event.key === "Escape") {
        results.hidden = true;
      }
    });
  }

  // --- Showing the parts of a choice (shift kind, group schedule) ------------------------

  function setupParts(form, name, attribute) {
    var radios = form.querySelectorAll("input[name=" + name + "]");
    if (!radios.length) { return; }
    function show() {
      var chosen = form.querySelector("input[name=" + name + "]:checked");
      form.querySelectorAll("[" + attribute + "]").forEach(function (part) {
        part.hidden = chosen !== null && part.getAttribute(attribute) !== chosen.value;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", show); });
    show();
  }

  // --- Shift segments ----------------------------------------------------------------------

  function minutes(text) {
    var match = /^(\d{1,2}):(\d{2})/.exec(text || "");
    return match ? Number(match[1]) * 60 + Number(match[2]) : null;
  }

  function setupShift(form) {
    var list = form.querySelector("[data-segments]");
    var add = form.querySelector("[data-add-segment]");
    var template = document.getElementById("segment-template");
    if (!list || !add || !template) { return; }
    var most = Number(list.getAttribute("data-max") || 6);

    function note(row) {
      var start = minutes(row.querySelector("input[name=segment_start]").value);
      var end = minutes(row.querySelector("input[name=segment_end]").value);
      // An end at or before the start ends the next day (a night shift).
      row.querySelector("[data-midnight]").hidden =
        !(start !== null && end !== null && end <= start);
    }

    function refreshAdd() {
      add.hidden = list.querySelectorAll("[data-segment]").length >= most;
    }

    list.addEventListener("input", function (event) {
      var row = event.target.closest("[data-segment]");
      if (row) { note(row); }
    });
    add.addEventListener("click", function (event) {
      event.preventDefault();
      var row = template.content.firstElementChild.cloneNode(true);
      list.appendChild(row);
      row.querySelector("input").focus();
      refreshAdd();
    });
    list.querySelectorAll("[data-segment]").forEach(note);
    refreshAdd();
    setupParts(form, "kind", "data-kind-part");
  }

  document.querySelectorAll("form[data-roster]").forEach(setupRoster);
  document.querySelectorAll("form[data-members]").forEach(setupMembers);
  document.querySelectorAll("form[data-shift-form]").forEach(setupShift);
  document.querySelectorAll("form[data-group-form]").forEach(function (form) {
    setupParts(form, "schedule", "data-schedule-part");
  });
})();
