//! Positions, distances and the spatial grid used for radius queries.

use serde::{Deserialize, Serialize};

/// A WGS84 point, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub latitude: f64,
    pub longitude: f64,
}

impl Position {
    /// A usable point: finite, in range, and not the `0,0` that broken
    /// sources write for "unknown".
    pub fn new(latitude: f64, longitude: f64) -> Option<Position> {
        let p = Position {
            latitude,
            longitude,
        };
        p.utilisable().then_some(p)
    }

    pub fn utilisable(&self) -> bool {
        self.latitude.is_finite()
            && self.longitude.is_finite()
            && (-90.0..=90.0).contains(&self.latitude)
            && (-180.0..=180.0).contains(&self.longitude)
            && !(self.latitude == 0.0 && self.longitude == 0.0)
    }

    /// Great-circle distance (haversine), km.
    pub fn distance_km(&self, autre: &Position) -> f64 {
        maillage_territoires::distance_km(
            self.latitude,
            self.longitude,
            autre.latitude,
            autre.longitude,
        )
    }
}

/// Formats a distance for people, French style: `350 m`, `2,4 km`, `12 km`.
pub fn libelle_distance(km: f64) -> String {
    if !km.is_finite() || km < 0.0 {
        return String::new();
    }
    if km < 1.0 {
        // Rounded to 10 m: more precision than that is noise.
        let m = ((km * 1000.0) / 10.0).round() * 10.0;
        format!("{} m", m.max(10.0) as u64)
    } else if km < 10.0 {
        format!("{:.1} km", km).replace('.', ",")
    } else {
        format!("{} km", km.round() as u64)
    }
}

/// Mean Earth radius (IUGG), km: the one of `maillage_territoires::distance_km`.
const RAYON_TERRE_KM: f64 = 6371.0088;

/// Mean length of one degree of latitude, km.
const KM_PAR_DEGRE: f64 = 111.195;

/// A disc around a point, tested without trigonometry beyond one `sin` per
/// coordinate: haversine's `h` grows with the distance, so `h <= h_max`
/// decides, and the `asin` is paid only for places inside.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cercle {
    pub centre: Position,
    pub rayon_km: f64,
    lat_rad: f64,
    lon_rad: f64,
    cos_lat: f64,
    h_max: f64,
}

impl Cercle {
    /// `rayon_km` NaN or negative is read as 0.
    pub(crate) fn new(centre: Position, rayon_km: f64) -> Cercle {
        let rayon_km = if rayon_km.is_nan() {
            0.0
        } else {
            rayon_km.max(0.0)
        };
        let demi_angle = (rayon_km / (2.0 * RAYON_TERRE_KM)).min(std::f64::consts::FRAC_PI_2);
        let lat_rad = centre.latitude.to_radians();
        Cercle {
            centre,
            rayon_km,
            lat_rad,
            lon_rad: centre.longitude.to_radians(),
            cos_lat: lat_rad.cos(),
            h_max: demi_angle.sin().powi(2),
        }
    }

    /// The distance to the point when it lies in the disc.
    #[inline]
    pub(crate) fn distance_si_dedans(&self, p: &Point) -> Option<f64> {
        let h = ((p.lat_rad - self.lat_rad) / 2.0).sin().powi(2)
            + self.cos_lat * p.cos_lat * ((p.lon_rad - self.lon_rad) / 2.0).sin().powi(2);
        if h > self.h_max {
            return None;
        }
        let d = 2.0 * RAYON_TERRE_KM * h.sqrt().min(1.0).asin();
        (d <= self.rayon_km).then_some(d)
    }
}

/// A place in the grid, with what the disc test needs inline (no random
/// access to the place while scanning cells).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Point {
    pub index: u32,
    lat_rad: f64,
    lon_rad: f64,
    cos_lat: f64,
}

/// Size of a grid cell, degrees (≈ 11 km north–south, 8 km east–west in
/// mainland France): a 30 km query touches a few dozen cells.
const PAS: f64 = 0.1;
const COLONNES: u32 = 3600;

/// Places bucketed by cell, cells stored row-major so that one row of a
/// query window is one contiguous run of keys (a binary search per row).
#[derive(Debug, Default)]
pub(crate) struct Grille {
    /// Distinct cell keys, ascending.
    cles: Vec<u32>,
    /// `debuts[k]..debuts[k + 1]` is the run of `points` in cell `cles[k]`.
    debuts: Vec<u32>,
    /// By cell then ascending index.
    points: Vec<Point>,
}

fn ligne(latitude: f64) -> u32 {
    (((latitude + 90.0) / PAS).floor().max(0.0) as u32).min((180.0 / PAS) as u32)
}

fn colonne(longitude: f64) -> u32 {
    (((longitude + 180.0) / PAS).floor().max(0.0) as u32).min(COLONNES - 1)
}

fn cle(ligne: u32, colonne: u32) -> u32 {
    ligne * COLONNES + colonne
}

impl Grille {
    pub(crate) fn new(positions: impl Iterator<Item = (u32, Position)>) -> Grille {
        let mut paires: Vec<(u32, u32, Position)> = positions
            .map(|(i, p)| (cle(ligne(p.latitude), colonne(p.longitude)), i, p))
            .collect();
        paires.sort_unstable_by_key(|&(k, i, _)| (k, i));
        let mut g = Grille {
            cles: Vec::new(),
            debuts: Vec::new(),
            points: Vec::with_capacity(paires.len()),
        };
        for (k, i, p) in paires {
            if g.cles.last() != Some(&k) {
                g.cles.push(k);
                g.debuts.push(g.points.len() as u32);
            }
            let lat_rad = p.latitude.to_radians();
            g.points.push(Point {
                index: i,
                lat_rad,
                lon_rad: p.longitude.to_radians(),
                cos_lat: lat_rad.cos(),
            });
        }
        g.debuts.push(g.points.len() as u32);
        g.cles.shrink_to_fit();
        g.debuts.shrink_to_fit();
        g
    }

    pub(crate) fn octets(&self) -> usize {
        (self.cles.capacity() + self.debuts.capacity()) * 4
            + self.points.capacity() * std::mem::size_of::<Point>()
    }

    /// Runs of points covering every place within `rayon_km` of `centre`
    /// (a superset: the caller checks the exact distance).
    pub(crate) fn plages(&self, centre: &Position, rayon_km: f64) -> Vec<&[Point]> {
        let mut plages = Vec::new();
        if self.points.is_empty() || rayon_km.is_nan() || rayon_km < 0.0 {
            return plages;
        }
        let dlat = rayon_km / KM_PAR_DEGRE;
        let lat_min = (centre.latitude - dlat).max(-90.0);
        let lat_max = (centre.latitude + dlat).min(90.0);
        let cos = lat_min.abs().max(lat_max.abs()).to_radians().cos();
        let dlon = if cos > 1e-6 {
            rayon_km / (KM_PAR_DEGRE * cos)
        } else {
            360.0
        };
        // Column windows, split when the circle crosses the antimeridian
        // (Wallis-et-Futuna is at 176° W, Nouvelle-Calédonie at 165° E).
        let mut fenetres: Vec<(u32, u32)> = Vec::with_capacity(2);
        if dlon >= 180.0 {
            fenetres.push((0, COLONNES - 1));
        } else {
            let (a, b) = (centre.longitude - dlon, centre.longitude + dlon);
            if a < -180.0 {
                fenetres.push((colonne(a + 360.0), COLONNES - 1));
                fenetres.push((0, colonne(b)));
            } else if b > 180.0 {
                fenetres.push((colonne(a), COLONNES - 1));
                fenetres.push((0, colonne(b - 360.0)));
            } else {
                fenetres.push((colonne(a), colonne(b)));
            }
        }
        for l in ligne(lat_min)..=ligne(lat_max) {
            for &(c0, c1) in &fenetres {
                let (k0, k1) = (cle(l, c0), cle(l, c1));
                let debut = self.cles.partition_point(|&k| k < k0);
                let fin = self.cles.partition_point(|&k| k <= k1);
                if debut < fin {
                    let a = self.debuts[debut] as usize;
                    let b = self.debuts[fin] as usize;
                    plages.push(&self.points[a..b]);
                }
            }
        }
        plages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_formatted_in_french() {
        assert_eq!(libelle_distance(2.43), "2,4 km");
        assert_eq!(libelle_distance(0.352), "350 m");
        assert_eq!(libelle_distance(12.6), "13 km");
    }

    #[test]
    fn unusable_positions_are_refused() {
        assert!(Position::new(0.0, 0.0).is_none());
        assert!(Position::new(f64::NAN, 1.0).is_none());
        assert!(Position::new(91.0, 1.0).is_none());
        assert!(Position::new(44.84, -0.58).is_some());
    }

    fn indices(g: &Grille, centre: &Position, rayon: f64) -> Vec<u32> {
        let cercle = Cercle::new(*centre, rayon);
        g.plages(centre, rayon)
            .concat()
            .iter()
            .filter(|p| cercle.distance_si_dedans(p).is_some())
            .map(|p| p.index)
            .collect()
    }

    #[test]
    fn grid_finds_points_across_the_antimeridian() {
        let a = Position::new(-13.28, -176.17).expect("Wallis");
        let b = Position::new(-13.28, 179.99).expect("across");
        let g = Grille::new([(0, a), (1, b)].into_iter());
        let mut trouves = indices(&g, &a, 500.0);
        trouves.sort_unstable();
        assert_eq!(trouves, vec![0, 1]);
        assert_eq!(indices(&g, &a, 5.0), vec![0]);
    }

    #[test]
    fn disc_test_agrees_with_haversine() {
        let bordeaux = Position::new(44.8378, -0.5792).expect("point");
        let merignac = Position::new(44.8386, -0.6436).expect("point");
        let d = bordeaux.distance_km(&merignac);
        let g = Grille::new([(7, merignac)].into_iter());
        let p = g.plages(&bordeaux, 10.0).concat()[0];
        let dedans = Cercle::new(bordeaux, 10.0).distance_si_dedans(&p);
        assert!(
            dedans.is_some_and(|x| (x - d).abs() < 1e-9),
            "{dedans:?} {d}"
        );
        assert!(Cercle::new(bordeaux, d - 0.01)
            .distance_si_dedans(&p)
            .is_none());
        assert!(Cercle::new(bordeaux, f64::NAN)
            .distance_si_dedans(&p)
            .is_none());
    }
}
