// Questionnaire d'orientation : met à jour le nombre de lieux pendant que
// l'on coche (le serveur donne déjà le bon nombre à chaque étape).
(function () {
  "use strict";
  var form = document.querySelector("form[data-compteur]");
  var sortie = document.getElementById("compte");
  if (!form || !sortie || !window.fetch || !window.URLSearchParams) { return; }
  var url = form.getAttribute("data-compteur");
  var minuteur = null;
  var numero = 0;
  function texte(n) {
    if (n === 0) { return "Aucun lieu ne correspond pour l'instant"; }
    var s = String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    return n === 1 ? "1 lieu correspond à ces réponses" : s + " lieux correspondent à ces réponses";
  }
  function mettreAJour() {
    var params = new URLSearchParams(new FormData(form));
    var moi = ++numero;
    fetch(url + "?" + params.toString(), { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (j && typeof j.total === "number" && moi === numero) { sortie.textContent = texte(j.total); }
      })
      .catch(function () {});
  }
  function planifier() {
    if (minuteur) { clearTimeout(minuteur); }
    minuteur = setTimeout(mettreAJour, 350);
  }
  form.addEventListener("change", planifier);
  form.addEventListener("input", planifier);
})();
