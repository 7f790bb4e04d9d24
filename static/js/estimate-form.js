"use strict";
/* Optional: running totals while typing, per funding source and in all, on the forms
   marked data-totals (drafting an estimate, appraising it, settling it). Each line is a
   fieldset.line; its amount is quantity × unit price × days (drafting) or the input marked
   data-amount (appraisal, settlement); its source is the line's source select or the
   fieldset's data-source. The server computes and checks the real amounts on save. */
(function () {
  function num(v) { v = (v || "").replace(/[.\s₫đ]/g, ""); return /^\d+$/.test(v) ? parseInt(v, 10) : 0; }
  function vnd(n) { return (n < 0 ? "−" : "") + Math.abs(n).toLocaleString("de-DE") + "\u00a0₫"; }
  function amountOf(line) {
    var given = line.querySelector("[data-amount]");
    if (given) return num(given.value);
    var q = line.querySelector("input[name$='-quantity']"), p = line.querySelector("input[name$='-unit_price']"), t = line.querySelector("input[name$='-times']");
    return num(q && q.value) * num(p && p.value) * num(t && t.value);
  }
  function sourceOf(line) {
    var select = line.querySelector("select[name$='-source']");
    if (select && select.selectedIndex >= 0) return select.options[select.selectedIndex].text;
    return line.getAttribute("data-source") || "";
  }
  document.querySelectorAll("form[data-totals]").forEach(function (form) {
    var total = form.querySelector("[data-total]"), list = form.querySelector("[data-by-source]");
    if (!total) return;
    function update() {
      var sums = {}, order = [], all = 0;
      form.querySelectorAll("fieldset.line").forEach(function (line) {
        var del = line.querySelector("input[name$='-DELETE']");
        if (del && del.checked) return;
        var amount = amountOf(line), source = sourceOf(line);
        if (!amount) return;
        if (!(source in sums)) { sums[source] = 0; order.push(source); }
        sums[source] += amount;
        all += amount;
      });
      total.textContent = vnd(all);
      if (!list) return;
      while (list.firstChild) list.removeChild(list.firstChild);
      order.forEach(function (source) {
        var item = document.createElement("li");
        item.textContent = source + ": " + vnd(sums[source]);
        list.appendChild(item);
      });
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  });
})();
