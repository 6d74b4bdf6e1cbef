//! Byte-level encodings the request builders need: percent-encoding for query values and
//! base64 for HTTP basic auth. Small enough to write out rather than pull in two crates.

/// RFC 3986's unreserved set, by byte: one load per byte of every id of a bulk call (the
/// wasm build's low inlining threshold, `.cargo/config.toml`, had left the test a call per byte).
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// Whether `b` is in RFC 3986's unreserved set, which travels as it is.
#[inline(always)]
fn is_unreserved(b: u8) -> bool {
    UNRESERVED[usize::from(b)]
}

/// Appends `value` to `out`, percent-encoding every byte outside RFC 3986's unreserved set, so
/// `&`, `=`, `#`, `+`, `%`, `,`, space, `/` and non-ASCII all reach the server unchanged.
pub(crate) fn percent_encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // Runs of unreserved bytes are copied whole; they are ASCII, so each run is a whole str.
    let mut run = 0;
    for (i, &b) in value.as_bytes().iter().enumerate() {
        if !is_unreserved(b) {
            out.push_str(value.get(run..i).unwrap_or_default());
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xF)] as char);
            run = i + 1;
        }
    }
    out.push_str(value.get(run..).unwrap_or_default());
}

/// The length of `value` once percent-encoded, without encoding it.
pub(crate) fn percent_encoded_len(value: &str) -> usize {
    value
        .bytes()
        .map(|b| if is_unreserved(b) { 1 } else { 3 })
        .sum()
}

/// Standard base64 with padding (RFC 4648 §4), as HTTP basic auth wants.
pub(crate) fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        let mut out = String::new();
        percent_encode_into(&mut out, s);
        out
    }

    #[test]
    fn the_table_holds_rfc_3986s_unreserved_set_and_nothing_else() {
        for b in 0..=255u8 {
            let rfc = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
            assert_eq!(is_unreserved(b), rfc, "byte {b:#04x}");
        }
    }

    #[test]
    fn unreserved_bytes_pass_through() {
        assert_eq!(enc("AZaz09-._~"), "AZaz09-._~");
    }

    #[test]
    fn the_encoded_length_is_the_length_of_the_encoding() {
        for s in [
            "",
            "abc",
            "a&b=c#d+e%f g/h,i",
            "557058:é",
            "ü\u{1F600}x",
            "%%",
            "5b10ac8d82e05b22cc7d4ef5",
        ] {
            assert_eq!(percent_encoded_len(s), enc(s).len(), "{s:?}");
        }
    }

    #[test]
    fn reserved_and_non_ascii_bytes_are_encoded() {
        assert_eq!(
            enc("a&b=c#d+e%f g/h,i"),
            "a%26b%3Dc%23d%2Be%25f%20g%2Fh%2Ci"
        );
        assert_eq!(enc("557058:é"), "557058%3A%C3%A9");
        assert_eq!(enc("ü\u{1F600}"), "%C3%BC%F0%9F%98%80");
        assert_eq!(enc("\r\n"), "%0D%0A");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(
            base64("me@example.com:tök€n".as_bytes()),
            "bWVAZXhhbXBsZS5jb206dMO2a+KCrG4="
        );
    }
}
