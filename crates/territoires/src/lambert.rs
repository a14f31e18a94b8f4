//! Lambert-93 (EPSG:2154, RGF93 / GRS80) ↔ WGS84, the conformal conic
//! projection with two standard parallels (IGN note NTG_71, Snyder §15).
//! RGF93 and WGS84 agree to better than a metre: no datum shift is applied.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

/// GRS80 semi-major axis (m).
const A: f64 = 6_378_137.0;
/// GRS80 flattening.
const F: f64 = 1.0 / 298.257_222_101;
const LAT_0: f64 = 46.5;
const LAT_1: f64 = 49.0;
const LAT_2: f64 = 44.0;
const LON_0: f64 = 3.0;
const X_0: f64 = 700_000.0;
const Y_0: f64 = 6_600_000.0;

/// Projection constants derived from the parameters above.
pub(crate) struct Constantes {
    e: f64,
    /// Cone exponent.
    pub(crate) n: f64,
    /// `a·F` (the "C" of IGN notes is `a·F·…`, see tests).
    af: f64,
    rho_0: f64,
}

fn excentricite() -> f64 {
    (2.0 * F - F * F).sqrt()
}

fn m(phi: f64, e: f64) -> f64 {
    phi.cos() / (1.0 - (e * phi.sin()).powi(2)).sqrt()
}

fn t(phi: f64, e: f64) -> f64 {
    let es = e * phi.sin();
    (FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - es) / (1.0 + es)).powf(e / 2.0)
}

pub(crate) fn constantes() -> Constantes {
    let e = excentricite();
    let (p0, p1, p2) = (LAT_0.to_radians(), LAT_1.to_radians(), LAT_2.to_radians());
    let (m1, m2) = (m(p1, e), m(p2, e));
    let (t0, t1, t2) = (t(p0, e), t(p1, e), t(p2, e));
    let n = (m1.ln() - m2.ln()) / (t1.ln() - t2.ln());
    let af = A * m1 / (n * t1.powf(n));
    Constantes {
        e,
        n,
        af,
        rho_0: af * t0.powf(n),
    }
}

#[cfg(test)]
impl Constantes {
    /// `C` of the IGN notes: ρ = C·exp(−n·L) with L the isometric latitude.
    pub(crate) fn c(&self) -> f64 {
        self.af
    }

    /// `Ys` of the IGN notes: northing of the cone apex.
    pub(crate) fn y_s(&self) -> f64 {
        Y_0 + self.rho_0
    }
}

/// WGS84 degrees → Lambert-93 metres `(x, y)`.
pub fn wgs84_vers_lambert93(latitude: f64, longitude: f64) -> (f64, f64) {
    let k = constantes();
    let rho = k.af * t(latitude.to_radians(), k.e).powf(k.n);
    let theta = k.n * (longitude - LON_0).to_radians();
    (X_0 + rho * theta.sin(), Y_0 + k.rho_0 - rho * theta.cos())
}

/// Lambert-93 metres → WGS84 degrees `(latitude, longitude)`.
pub fn lambert93_vers_wgs84(x: f64, y: f64) -> (f64, f64) {
    let k = constantes();
    let dx = x - X_0;
    let dy = k.rho_0 - (y - Y_0);
    // n > 0 for Lambert-93, so ρ keeps its sign.
    let rho = (dx * dx + dy * dy).sqrt();
    let tt = (rho / k.af).powf(1.0 / k.n);
    let theta = dx.atan2(dy);
    let longitude = (theta / k.n).to_degrees() + LON_0;
    // Latitude by fixed-point iteration on the isometric latitude; converges
    // to 1e-12 rad in a handful of steps.
    let mut phi = FRAC_PI_2 - 2.0 * tt.atan();
    for _ in 0..20 {
        let es = k.e * phi.sin();
        let suivant = FRAC_PI_2 - 2.0 * (tt * ((1.0 - es) / (1.0 + es)).powf(k.e / 2.0)).atan();
        let fini = (suivant - phi).abs() < 1e-12;
        phi = suivant;
        if fini {
            break;
        }
    }
    (phi.to_degrees(), longitude)
}

/// True when `(x, y)` looks like a Lambert-93 position in mainland France or
/// Corsica.
pub fn ressemble_lambert93(x: f64, y: f64) -> bool {
    (100_000.0..=1_300_000.0).contains(&x) && (6_000_000.0..=7_200_000.0).contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geolocalisation::distance_km;

    #[test]
    fn constantes_publiees_par_l_ign() {
        // Values published by IGN for Lambert-93 (n, C, Xs, Ys), independent
        // of this code.
        let k = constantes();
        assert!((k.n - 0.725_607_765_053_267).abs() < 1e-12, "n = {}", k.n);
        assert!((k.c() - 11_754_255.426_096).abs() < 1e-3, "C = {}", k.c());
        assert!(
            (k.y_s() - 12_655_612.049_876).abs() < 1e-3,
            "Ys = {}",
            k.y_s()
        );
    }

    #[test]
    fn origine_de_la_projection() {
        let (x, y) = wgs84_vers_lambert93(46.5, 3.0);
        assert!((x - 700_000.0).abs() < 1e-6 && (y - 6_600_000.0).abs() < 1e-6);
        let (lat, lon) = lambert93_vers_wgs84(700_000.0, 6_600_000.0);
        assert!((lat - 46.5).abs() < 1e-10 && (lon - 3.0).abs() < 1e-10);
    }

    #[test]
    fn point_de_reference_connu() {
        // Test vector of the lambert libraries (yageek/lambert-*):
        // (668832.5384, 6950138.7285) → 49.649610985851474 N, 2.5686536326051743 E.
        let (lat, lon) = lambert93_vers_wgs84(668_832.538_4, 6_950_138.728_5);
        let d = distance_km(lat, lon, 49.649_610_985_851_474, 2.568_653_632_605_174_3);
        assert!(d * 1000.0 < 0.01, "écart {} m", d * 1000.0);
    }

    #[test]
    fn aller_retour() {
        for &(lat, lon) in &[
            (48.853_41, 2.348_8),
            (43.296_5, 5.369_8),
            (51.07, 2.5),
            (41.4, 9.2),
        ] {
            let (x, y) = wgs84_vers_lambert93(lat, lon);
            assert!(ressemble_lambert93(x, y));
            let (lat2, lon2) = lambert93_vers_wgs84(x, y);
            assert!(distance_km(lat, lon, lat2, lon2) * 1000.0 < 0.001);
        }
    }
}
