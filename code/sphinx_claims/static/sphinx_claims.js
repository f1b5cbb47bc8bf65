// sphinx_claims: following a sentence's check mark opens the page's collapsed box of claims and shows the claim.
(function () {
  "use strict";
  function show(id) {
    var item = document.getElementById(id);
    if (!item || !item.closest) return;
    var box = item.closest(".claims-box");
    if (box && box.classList.contains("toggle-hidden")) {
      var title = box.querySelector(".admonition-title");  // sphinx-togglebutton opens on a click of the title
      if (title) title.click();
    }
    document.querySelectorAll(".claim-followed").forEach(function (other) { other.classList.remove("claim-followed"); });
    item.classList.add("claim-followed");
    item.scrollIntoView({ block: "center" });
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.claim-citation");
    if (!link || !link.hash) return;
    event.preventDefault();
    var id = decodeURIComponent(link.hash.slice(1));
    history.pushState(null, "", "#" + id);
    show(id);
  });
  window.addEventListener("load", function () {
    if (location.hash.indexOf("#claim-") === 0) show(decodeURIComponent(location.hash.slice(1)));
  });
})();
