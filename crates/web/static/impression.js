// Fiche d'orientation : bouton « Imprimer » (la page marche sans lui).
(function () {
  "use strict";
  var b = document.getElementById("imprimer");
  if (!b) { return; }
  b.hidden = false;
  b.addEventListener("click", function () { window.print(); });
})();
