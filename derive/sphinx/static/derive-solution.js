// derive: a link to a section inside a folded solution (#answers) opens the fold first,
// so the section it points to is shown, in browsers that do not do it themselves.
(function () {
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    if (!target || !target.closest("details.derive-solution")) return;
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS" && !el.open) el.open = true;
    }
    target.scrollIntoView();
    // formulas typeset after the fold opened change the layout: scroll again after them
    var mathjax = window.MathJax && window.MathJax.startup;
    if (mathjax && mathjax.promise) {
      mathjax.promise.then(function () { target.scrollIntoView(); });
    }
    window.setTimeout(function () { target.scrollIntoView(); }, 250);
  }
  window.addEventListener("hashchange", reveal);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reveal);
  } else {
    reveal();
  }
})();
