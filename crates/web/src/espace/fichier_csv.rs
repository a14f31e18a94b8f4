//! The workspace's CSV downloads (statistics, pilotage): `;`-separated as
//! French spreadsheets expect, UTF-8 with a byte order mark so Excel reads
//! the accents, CRLF line ends. Quoting is the `csv` crate's.

/// A CSV file made of sections (a title, a table…) separated by a blank
/// line; rows may differ in width.
pub(crate) struct FichierCsv {
    octets: Vec<u8>,
    sections: usize,
}

impl FichierCsv {
    pub(crate) fn nouveau() -> FichierCsv {
        FichierCsv {
            octets: "\u{feff}".as_bytes().to_vec(),
            sections: 0,
        }
    }

    /// Appends one section: its rows, after a blank line unless it is the
    /// first.
    pub(crate) fn section<L, C>(&mut self, lignes: L) -> Result<(), csv::Error>
    where
        L: IntoIterator<Item = C>,
        C: IntoIterator,
        C::Item: AsRef<[u8]>,
    {
        if self.sections > 0 {
            self.octets.extend_from_slice(b"\r\n");
        }
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(&mut self.octets);
        for ligne in lignes {
            w.write_record(ligne)?;
        }
        w.flush()?;
        self.sections += 1;
        Ok(())
    }

    pub(crate) fn octets(self) -> Vec<u8> {
        self.octets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_guillemets_et_bom() -> Result<(), csv::Error> {
        let mut f = FichierCsv::nouveau();
        f.section([vec!["Titre"], vec!["a;b", "dit \"x\""]])?;
        f.section([["simple", "1"]])?;
        let texte = String::from_utf8(f.octets()).expect("UTF-8");
        assert_eq!(
            texte,
            "\u{feff}Titre\r\n\"a;b\";\"dit \"\"x\"\"\"\r\n\r\nsimple;1\r\n"
        );
        Ok(())
    }
}
