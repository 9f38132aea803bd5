//! [`Payload`]: a message's bytes, small ones held inline.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::{Bytes, BytesMut};

/// The bytes of a message: up to [`INLINE_CAPACITY`] of them held in the value itself, more in
/// shared [`Bytes`].
///
/// Most WebSocket messages are small, and an allocation for each (and its release) was a third
/// of the time the decoder spent on a 16-byte message. A payload that fits is copied into the
/// value instead: no allocation, no reference count. Larger ones stay as `Bytes`, split off the
/// connection's input without a copy, and clone by reference count.
///
/// It reads as a `&[u8]` ([`Deref`]); [`into_bytes`](Self::into_bytes) gives `Bytes` (a copy for
/// an inline payload, none otherwise). Equality, ordering and hashing are those of the bytes,
/// whatever the storage.
///
/// ```
/// use bytes::Bytes;
/// use wsstream_core::Payload;
///
/// let small = Payload::copy_from_slice(b"ping");
/// assert!(small.is_inline());
/// assert_eq!(&small[..], b"ping");
///
/// let large = Payload::from(Bytes::from(vec![7u8; 1000]));
/// assert!(!large.is_inline());
/// assert_eq!(large.len(), 1000);
/// assert_eq!(large.into_bytes(), vec![7u8; 1000]);
/// ```
#[derive(Clone)]
pub struct Payload(Repr);

/// Payloads up to this many bytes are held inline by [`Payload`] (the most that keeps it the
/// size of a `Bytes` plus one word).
pub const INLINE_CAPACITY: usize = 38;

#[derive(Clone)]
enum Repr {
    /// `data[..len]`; the rest is unspecified and never read.
    Inline {
        len: u8,
        data: [u8; INLINE_CAPACITY],
    },
    Shared(Bytes),
}

// `len` is a `u8`.
const _: () = assert!(INLINE_CAPACITY <= u8::MAX as usize);

impl Payload {
    /// An empty payload.
    pub const fn new() -> Self {
        Self(Repr::Inline { len: 0, data: [0; INLINE_CAPACITY] })
    }

    /// A payload of a `'static` slice, without copying.
    pub const fn from_static(bytes: &'static [u8]) -> Self {
        Self(Repr::Shared(Bytes::from_static(bytes)))
    }

    /// A copy of `bytes`: inline when they fit, else in a new `Bytes`.
    pub fn copy_from_slice(bytes: &[u8]) -> Self {
        match Self::inline_from(bytes) {
            Some(p) => p,
            None => Self(Repr::Shared(Bytes::copy_from_slice(bytes))),
        }
    }

    /// A copy of `bytes` held inline, if they fit.
    #[inline(always)]
    pub(crate) fn inline_from(bytes: &[u8]) -> Option<Self> {
        let len = bytes.len();
        if len > INLINE_CAPACITY {
            return None;
        }
        let mut data = [0; INLINE_CAPACITY];
        data[..len].copy_from_slice(bytes);
        Some(Self(Repr::Inline { len: len as u8, data }))
    }

    /// An inline payload of the first `len` bytes (at most [`INLINE_CAPACITY`]) of a window
    /// of the input, unmasked with `key`: the whole window is copied and unmasked, fixed-size
    /// work without a call, where a copy of `len` bytes would be a call into `memcpy` and a
    /// loop of variable length. The bytes past `len` are never seen.
    #[inline(always)]
    pub(crate) fn inline_window(
        window: &[u8; INLINE_CAPACITY],
        len: usize,
        key: Option<[u8; 4]>,
    ) -> Self {
        debug_assert!(len <= INLINE_CAPACITY);
        let mut data = *window;
        if let Some(key) = key {
            // Fixed length: the compiler unrolls it into a few vector XORs.
            let pattern: [u8; INLINE_CAPACITY] = std::array::from_fn(|i| key[i & 3]);
            for (b, k) in data.iter_mut().zip(pattern) {
                *b ^= k;
            }
        }
        Self(Repr::Inline { len: len.min(INLINE_CAPACITY) as u8, data })
    }

    /// The bytes of an inline payload, to change in place (the decoder unmasks there); `None`
    /// for shared ones, whose bytes may be seen through other handles.
    #[inline(always)]
    pub(crate) fn inline_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.0 {
            Repr::Inline { len, data } => Some(&mut data[..usize::from(*len)]),
            Repr::Shared(_) => None,
        }
    }

    /// The `Bytes` of a shared payload; an inline one back as it is.
    pub(crate) fn into_shared(self) -> Result<Bytes, Self> {
        match self.0 {
            Repr::Shared(b) => Ok(b),
            Repr::Inline { .. } => Err(self),
        }
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, data } => &data[..usize::from(*len)],
            Repr::Shared(b) => b,
        }
    }

    /// Whether the bytes are held inline (no allocation behind this value).
    pub const fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }

    /// The bytes as `Bytes`: a copy for an inline payload, none for a shared one.
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Inline { len, data } => Bytes::copy_from_slice(&data[..usize::from(len)]),
            Repr::Shared(b) => b,
        }
    }
}

impl Default for Payload {
    fn default() -> Self {
        Self::new()
    }
}

impl Deref for Payload {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Payload {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for Payload {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As `Bytes` prints, by `Bytes` itself (a copy of at most 38 bytes for an inline one).
        match &self.0 {
            Repr::Inline { .. } => fmt::Debug::fmt(&Bytes::copy_from_slice(self), f),
            Repr::Shared(b) => fmt::Debug::fmt(b, f),
        }
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Payload {}

impl PartialOrd for Payload {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Payload {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for Payload {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `[u8]` hashes, so that `Borrow<[u8]>` keys look up alike.
        self.as_slice().hash(state);
    }
}

impl PartialEq<[u8]> for Payload {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[u8]> for Payload {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Payload {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Payload {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Vec<u8>> for Payload {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialEq<Bytes> for Payload {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_slice() == other.as_ref()
    }
}

impl From<Bytes> for Payload {
    /// Keeps the `Bytes` (no copy, even when small).
    fn from(b: Bytes) -> Self {
        Self(Repr::Shared(b))
    }
}

impl From<BytesMut> for Payload {
    fn from(b: BytesMut) -> Self {
        Self(Repr::Shared(b.freeze()))
    }
}

impl From<Vec<u8>> for Payload {
    /// Takes over the vector's allocation (no copy).
    fn from(v: Vec<u8>) -> Self {
        Self(Repr::Shared(Bytes::from(v)))
    }
}

impl From<&[u8]> for Payload {
    /// Copies (see [`Payload::copy_from_slice`]).
    fn from(v: &[u8]) -> Self {
        Self::copy_from_slice(v)
    }
}

impl<const N: usize> From<&[u8; N]> for Payload {
    /// Copies (see [`Payload::copy_from_slice`]).
    fn from(v: &[u8; N]) -> Self {
        Self::copy_from_slice(v)
    }
}

impl From<Payload> for Bytes {
    fn from(p: Payload) -> Self {
        p.into_bytes()
    }
}

impl From<Payload> for Vec<u8> {
    fn from(p: Payload) -> Self {
        match p.0 {
            Repr::Inline { len, data } => data[..usize::from(len)].to_vec(),
            Repr::Shared(b) => Self::from(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn both(bytes: &[u8]) -> [Payload; 2] {
        [Payload::copy_from_slice(bytes), Payload::from(Bytes::copy_from_slice(bytes))]
    }

    #[test]
    fn stays_the_size_of_bytes_and_a_word() {
        assert_eq!(size_of::<Payload>(), size_of::<Bytes>() + 8);
    }

    #[test]
    fn small_payloads_are_inline_and_large_ones_shared() {
        for len in 0..=INLINE_CAPACITY + 2 {
            let bytes: Vec<u8> = (0..len as u8).collect();
            let p = Payload::copy_from_slice(&bytes);
            assert_eq!(p.is_inline(), len <= INLINE_CAPACITY, "{len}");
            assert_eq!(&p[..], &bytes[..]);
            assert_eq!(p.len(), len);
            assert_eq!(p.clone().into_bytes(), bytes);
            assert_eq!(Vec::from(p), bytes);
        }
        assert!(Payload::new().is_inline() && Payload::new().is_empty());
        assert!(Payload::default().is_empty());
        assert!(!Payload::from_static(b"static").is_inline());
        assert!(!Payload::from(vec![1, 2, 3]).is_inline());
    }

    #[test]
    fn equality_order_and_hash_follow_the_bytes_not_the_storage() {
        let [inline, shared] = both(b"hello");
        assert!(inline.is_inline() && !shared.is_inline());
        assert_eq!(inline, shared);
        assert_eq!(inline.cmp(&shared), Ordering::Equal);
        let set: HashSet<Payload> = [inline.clone(), shared.clone()].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert!(set.contains(&b"hello"[..]));
        let (a, b) = (Payload::copy_from_slice(b"a"), Payload::from(Bytes::from_static(b"b")));
        assert!(a < b && !b.is_inline());
        assert_eq!(inline, b"hello");
        assert_eq!(inline, &b"hello"[..]);
        assert_eq!(inline, b"hello".to_vec());
        assert_eq!(shared, Bytes::from_static(b"hello"));
        assert_ne!(inline, Payload::copy_from_slice(b"hell"));
    }

    #[test]
    fn an_inline_payload_changes_in_place_and_a_shared_one_does_not() {
        let [mut inline, mut shared] = both(b"abc");
        inline.inline_mut().unwrap().copy_from_slice(b"xyz");
        assert_eq!(inline, b"xyz");
        assert!(shared.inline_mut().is_none());
        assert_eq!(shared, b"abc");
    }

    #[test]
    fn debug_prints_as_bytes_does() {
        let bytes = b"a\"'\\\n\r\t\x00\x7f\xff~ ";
        for p in both(bytes) {
            assert_eq!(format!("{p:?}"), format!("{:?}", Bytes::from_static(bytes)));
        }
    }
}
