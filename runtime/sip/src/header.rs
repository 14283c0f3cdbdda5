//! The ordered header list (RFC 3261 §7.3).
//!
//! Headers are kept as `(name, value)` slices of the received bytes, in
//! order, with the original line so an unchanged header re-serializes
//! byte-for-byte (folding, odd spacing and compact names included). Lookups
//! are case-insensitive and treat compact forms (RFC 3261 §7.3.3 and later
//! RFCs) as their long names.

use bytes::Bytes;

/// Compact form → long name (IANA "Header Fields" registry, compact column).
const COMPACT: &[(u8, &str)] = &[
    (b'a', "Accept-Contact"),
    (b'b', "Referred-By"),
    (b'c', "Content-Type"),
    (b'd', "Request-Disposition"),
    (b'e', "Content-Encoding"),
    (b'f', "From"),
    (b'i', "Call-ID"),
    (b'j', "Reject-Contact"),
    (b'k', "Supported"),
    (b'l', "Content-Length"),
    (b'm', "Contact"),
    (b'n', "Identity-Info"),
    (b'o', "Event"),
    (b'r', "Refer-To"),
    (b's', "Subject"),
    (b't', "To"),
    (b'u', "Allow-Events"),
    (b'v', "Via"),
    (b'x', "Session-Expires"),
    (b'y', "Identity"),
];

/// Expands a one-letter compact name; other names are returned unchanged.
pub fn expand_compact(name: &[u8]) -> &[u8] {
    if let [c] = name {
        let c = c.to_ascii_lowercase();
        if let Some((_, long)) = COMPACT.iter().find(|(k, _)| *k == c) {
            return long.as_bytes();
        }
    }
    name
}

/// True when two header names denote the same header.
pub fn names_equal(a: &[u8], b: &[u8]) -> bool {
    expand_compact(a).eq_ignore_ascii_case(expand_compact(b))
}

/// One header line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    name: Bytes,
    value: Bytes,
    /// The received line including its CRLF, while the header is unchanged.
    raw: Option<Bytes>,
}

impl Header {
    /// A new header; it is printed as `Name: value`.
    pub fn new(name: impl Into<Bytes>, value: impl Into<Bytes>) -> Header {
        Header {
            name: name.into(),
            value: value.into(),
            raw: None,
        }
    }

    pub(crate) fn parsed(name: Bytes, value: Bytes, raw: Bytes) -> Header {
        Header {
            name,
            value,
            raw: Some(raw),
        }
    }

    /// The name as received (may be compact, any case).
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The value as received, trimmed; may still contain line folds. Use
    /// [`Header::value_str`] for a single logical line.
    pub fn raw_value(&self) -> &Bytes {
        &self.value
    }

    /// The value with folds replaced by spaces, when it is UTF-8.
    pub fn value_str(&self) -> Option<std::borrow::Cow<'_, str>> {
        match crate::text::unfold(&self.value) {
            std::borrow::Cow::Borrowed(b) => std::str::from_utf8(b).ok().map(Into::into),
            std::borrow::Cow::Owned(v) => String::from_utf8(v).ok().map(Into::into),
        }
    }

    /// True when this header is `name` (case-insensitive, compact aware).
    pub fn is(&self, name: &str) -> bool {
        names_equal(&self.name, name.as_bytes())
    }

    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        if let Some(raw) = &self.raw {
            out.extend_from_slice(raw);
        } else {
            out.extend_from_slice(&self.name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(&self.value);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// The ordered list of headers of one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<Header>,
}

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    pub(crate) fn from_vec(list: Vec<Header>) -> Headers {
        Headers { list }
    }

    /// All headers in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The first header called `name`.
    pub fn get(&self, name: &str) -> Option<&Header> {
        self.list.iter().find(|h| h.is(name))
    }

    /// Every header called `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Header> + 'a {
        self.list.iter().filter(move |h| h.is(name))
    }

    /// How many header lines are called `name`.
    pub fn count(&self, name: &str) -> usize {
        self.get_all(name).count()
    }

    /// Replaces every `name` header by one `name: value` at the position of
    /// the first (appends when there was none).
    pub fn set(&mut self, name: &str, value: impl Into<Bytes>) {
        let header = Header::new(Bytes::copy_from_slice(name.as_bytes()), value);
        match self.list.iter().position(|h| h.is(name)) {
            Some(pos) => {
                self.list[pos] = header;
                // One pass, so a message with many copies stays linear.
                let mut i = 0;
                self.list.retain(|h| {
                    let keep = i <= pos || !h.is(name);
                    i += 1;
                    keep
                });
            }
            None => self.list.push(header),
        }
    }

    /// Inserts a header before every other header (Via, Record-Route).
    pub fn insert_front(&mut self, name: &str, value: impl Into<Bytes>) {
        self.list.insert(
            0,
            Header::new(Bytes::copy_from_slice(name.as_bytes()), value),
        );
    }

    /// Inserts a header before the first header called `name`, or appends it
    /// when there is none (e.g. a new top Via or Record-Route).
    pub fn insert_before_first(&mut self, name: &str, value: impl Into<Bytes>) {
        let header = Header::new(Bytes::copy_from_slice(name.as_bytes()), value);
        match self.list.iter().position(|h| h.is(name)) {
            Some(pos) => self.list.insert(pos, header),
            None => self.list.push(header),
        }
    }

    /// Appends a header at the end.
    pub fn append(&mut self, name: &str, value: impl Into<Bytes>) {
        self.list
            .push(Header::new(Bytes::copy_from_slice(name.as_bytes()), value));
    }

    /// Appends an already-built header (copied from another message: its
    /// original bytes are kept).
    pub fn push(&mut self, header: Header) {
        self.list.push(header);
    }

    /// Removes every `name` header; returns how many were removed.
    pub fn remove(&mut self, name: &str) -> usize {
        let before = self.list.len();
        self.list.retain(|h| !h.is(name));
        before - self.list.len()
    }

    /// Removes and returns the first `name` header line.
    pub fn remove_first(&mut self, name: &str) -> Option<Header> {
        let pos = self.list.iter().position(|h| h.is(name))?;
        Some(self.list.remove(pos))
    }

    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        for h in &self.list {
            h.write_to(out);
        }
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case_insensitive_names() {
        assert!(names_equal(b"v", b"Via"));
        assert!(names_equal(b"VIA", b"v"));
        assert!(names_equal(b"i", b"call-id"));
        assert!(!names_equal(b"x-foo", b"x-fo"));
        assert!(!names_equal(b"v", b"f"));
    }

    #[test]
    fn set_replaces_at_first_position() {
        let mut h = Headers::new();
        h.append("A", "1");
        h.append("B", "2");
        h.append("a", "3");
        h.set("A", "x");
        let names: Vec<_> = h.iter().map(|h| h.name().to_vec()).collect();
        assert_eq!(names, vec![b"A".to_vec(), b"B".to_vec()]);
        assert_eq!(h.get("a").map(|h| h.raw_value().clone()), Some("x".into()));
        h.insert_before_first("B", "0");
        assert_eq!(h.remove("b"), 2);
        assert_eq!(h.len(), 1);
    }
}
