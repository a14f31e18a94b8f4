// Cartes Leaflet : la carte des résultats (GeoJSON des filtres courants,
// lu dans l'API) et la petite carte d'un lieu. Sans URL de tuiles, les
// points s'affichent sur un fond uni. La liste reste la vue principale.
(function () {
  "use strict";
  var el = document.getElementById("carte");
  if (!el || !window.L) { return; }
  var tuiles = el.getAttribute("data-tuiles");
  var attribution = el.getAttribute("data-attribution") || "";
  var cible = el.getAttribute("data-cible");
  var lat = el.getAttribute("data-latitude");
  el.classList.add("carte-active");
  var carte = L.map(el, { scrollWheelZoom: false, preferCanvas: true, zoomControl: false });
  L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(carte);
  if (tuiles) {
    L.tileLayer(tuiles, { maxZoom: 19, attribution: attribution }).addTo(carte);
  }
  el.setAttribute("aria-label", "Carte des lieux (la liste donne les mêmes informations)");
  el.setAttribute("role", "region");

  if (lat !== null) {
    var p = [parseFloat(lat), parseFloat(el.getAttribute("data-longitude"))];
    L.marker(p, { title: el.getAttribute("data-nom") || "", alt: el.getAttribute("data-nom") || "", keyboard: true }).addTo(carte);
    carte.setView(p, 15);
    return;
  }
  var url = el.getAttribute("data-geojson");
  if (!url) { return; }
  carte.setView([46.6, 2.4], 5);
  fetch(url, { headers: { "Accept": "application/geo+json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (geo) {
      if (!geo || !geo.features) { return; }
      var peu = geo.features.length <= 300;
      var couche = L.geoJSON(geo, {
        pointToLayer: function (f, ll) {
          var nom = f.properties.nom || "";
          if (peu) { return L.marker(ll, { title: nom, alt: nom, keyboard: true }); }
          return L.circleMarker(ll, { radius: 5, weight: 1, color: "#073f3e", fillColor: "#0b5d5b", fillOpacity: 0.8 });
        },
        onEachFeature: function (f, couche) {
          var a = document.createElement("a");
          a.href = "/lieux/" + encodeURIComponent(f.properties.id);
          a.textContent = f.properties.nom + " (" + f.properties.commune + ")";
          if (cible) { a.target = cible; a.rel = "noopener"; }
          couche.bindPopup(a);
        }
      }).addTo(carte);
      var limites = couche.getBounds();
      if (limites.isValid()) { carte.fitBounds(limites, { maxZoom: 14, padding: [20, 20] }); }
    })
    .catch(function () {});
})();
