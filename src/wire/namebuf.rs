//! Names in wire form as written, built on the stack.
//!
//! Zone files are read into this form: the owner of every record is interned from it
//! (`super::nodes`), and a hickory [`Name`] is built only where one is needed, through
//! hickory's wire decoder. That copies a label once, where `Name::from_labels` makes a
//! `Label` and two vectors of results per label (a third of the time to read a zone of A
//! records went there).

use hickory_proto::rr::Name;
use hickory_proto::serialize::binary::BinDecodable;

/// The absolute name of `labels` (see [`NameBuf`] for the rules).
pub fn name_of<'a>(labels: impl IntoIterator<Item = &'a [u8]>) -> Result<Name, &'static str> {
    let mut b = NameBuf::default();
    for label in labels {
        b.push_label(label)?;
    }
    b.end_with(&[0])?;
    Ok(b.to_name())
}

/// An absolute name in wire form as written (case kept). Labels are 1–63 octets and the
/// name at most 255 in wire form (RFC 1035 §3.1, RFC 2181 §11).
#[derive(Debug, Clone, Copy)]
pub struct NameBuf {
    bytes: [u8; 255],
    len: usize,
}

impl Default for NameBuf {
    fn default() -> Self {
        NameBuf {
            bytes: [0; 255],
            len: 0,
        }
    }
}

impl NameBuf {
    /// Makes this the empty sequence of labels again.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends a label.
    pub fn push_label(&mut self, label: &[u8]) -> Result<(), &'static str> {
        if label.is_empty() {
            return Err("empty label");
        }
        if label.len() > 63 {
            return Err("label longer than 63 octets");
        }
        // The root's zero octet must still fit after this label.
        let next = self.len + 1 + label.len();
        if next >= self.bytes.len() {
            return Err("name longer than 255 octets");
        }
        self.bytes[self.len] = label.len() as u8;
        self.bytes[self.len + 1..next].copy_from_slice(label);
        self.len = next;
        Ok(())
    }

    /// Ends the name with `suffix`, the wire form of an absolute name (`[0]` for the
    /// root).
    pub fn end_with(&mut self, suffix: &[u8]) -> Result<(), &'static str> {
        let next = self.len + suffix.len();
        if next > self.bytes.len() {
            return Err("name longer than 255 octets");
        }
        self.bytes[self.len..next].copy_from_slice(suffix);
        self.len = next;
        Ok(())
    }

    /// The wire form (once ended).
    pub fn wire(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The name as a hickory `Name`.
    pub fn to_name(self) -> Name {
        Name::from_bytes(self.wire()).expect("labels and length were checked as they were added")
    }

    /// The wire form of `name` as written.
    pub fn from_name(name: &Name) -> Result<NameBuf, &'static str> {
        let mut b = NameBuf::default();
        for label in name.iter() {
            b.push_label(label)?;
        }
        b.end_with(&[0])?;
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::serialize::binary::BinEncodable;

    #[test]
    fn name_of_matches_hickory_and_refuses_what_it_refuses() {
        let cases: [&[&[u8]]; 4] = [
            &[],
            &[b"www", b"Example", b"test"],
            &[b"0/26", b"a b", b"\x00\xff", b"*"],
            &[&[b'x'; 63], &[b'y'; 63], &[b'z'; 63], &[b'w'; 61]],
        ];
        for labels in cases {
            let ours = name_of(labels.iter().copied()).unwrap();
            let theirs = Name::from_labels(labels.iter().copied()).unwrap();
            assert_eq!(ours.to_bytes().unwrap(), theirs.to_bytes().unwrap());
            assert!(ours.is_fqdn());
            // Case is kept as written.
            assert_eq!(ours.iter().collect::<Vec<_>>(), labels.to_vec());
        }
        let long: &[&[u8]] = &[&[b'x'; 63], &[b'y'; 63], &[b'z'; 63], &[b'w'; 62]];
        assert_eq!(
            name_of(long.iter().copied()),
            Err("name longer than 255 octets")
        );
        assert_eq!(
            name_of([&[b'x'; 64][..]]),
            Err("label longer than 63 octets")
        );
        assert_eq!(name_of([&b"a"[..], b""]), Err("empty label"));
    }
}
