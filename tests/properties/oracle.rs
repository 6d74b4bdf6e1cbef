//! Independent reference code the properties compare the crate against: a strict
//! percent-decoder and query splitter, standard base64, and the content-type rule.

/// RFC 3986 unreserved bytes: the only ones a query value may carry unencoded.
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Strictly percent-decodes one query value: every byte is unreserved or `%XX` with uppercase
/// hex, and `%XX` never encodes an unreserved byte (the encoding is canonical). The decoded
/// bytes must be UTF-8.
pub fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |h: u8| match h {
                b'0'..=b'9' => Some(h - b'0'),
                b'A'..=b'F' => Some(h - b'A' + 10),
                _ => None,
            };
            let (hi, lo) = match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(&hi), Some(&lo)) => (hex(hi), hex(lo)),
                _ => (None, None),
            };
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(format!("bad escape at byte {i} of {s:?}"));
            };
            let decoded = hi << 4 | lo;
            if is_unreserved(decoded) {
                return Err(format!("unreserved byte {decoded:#04x} escaped in {s:?}"));
            }
            out.push(decoded);
            i += 3;
        } else if is_unreserved(b) {
            out.push(b);
            i += 1;
        } else {
            return Err(format!("unencoded byte {b:#04x} in value {s:?}"));
        }
    }
    String::from_utf8(out).map_err(|e| format!("not UTF-8 after decoding {s:?}: {e}"))
}

/// One parameter as the server would read it: the name and its values (split on literal commas;
/// a parameter that is not a list has exactly one value).
pub type Param = (String, Vec<String>);

/// Splits `path?query` into the path and the decoded parameters, in order.
pub fn parse_path_and_query(s: &str) -> Result<(String, Vec<Param>), String> {
    for c in s.chars() {
        let ok = c.is_ascii() && (is_unreserved(c as u8) || "%/?&=,".contains(c));
        if !ok {
            return Err(format!("character {c:?} is not URL-safe in {s:?}"));
        }
    }
    let (path, query) = match s.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (s, None),
    };
    if !path.starts_with('/') || path.bytes().any(|b| b != b'/' && !is_unreserved(b)) {
        return Err(format!("bad path {path:?}"));
    }
    let mut params = Vec::new();
    if let Some(query) = query {
        for pair in query.split('&') {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("parameter without '=' in {s:?}"))?;
            let values = value
                .split(',')
                .map(percent_decode)
                .collect::<Result<Vec<_>, _>>()?;
            params.push((name.to_owned(), values));
        }
    }
    Ok((path.to_owned(), params))
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let mut n = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            n |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether a `Content-Type` header declares JSON: `application/json` or any `+json` type,
/// ignoring parameters and case.
pub fn is_json_content_type(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || media.ends_with("+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oracles_themselves_work() {
        assert_eq!(percent_decode("a%20b%C3%A9").unwrap(), "a bé");
        assert!(percent_decode("%41").is_err(), "escaped unreserved byte");
        assert!(percent_decode("%2c").is_err(), "lowercase hex");
        assert!(percent_decode("%2").is_err());
        assert!(percent_decode("a b").is_err());
        assert!(percent_decode("%FF").is_err(), "not UTF-8");
        let (path, params) = parse_path_and_query("/user/bulk?accountId=a,b%2Cc&limit=5").unwrap();
        assert_eq!(path, "/user/bulk");
        assert_eq!(
            params,
            vec![
                (
                    "accountId".to_owned(),
                    vec!["a".to_owned(), "b,c".to_owned()]
                ),
                ("limit".to_owned(), vec!["5".to_owned()]),
            ]
        );
        assert!(parse_path_and_query("/user?a=é").is_err());
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert!(is_json_content_type("Application/Problem+JSON; charset=x"));
        assert!(!is_json_content_type("text/json5"));
    }
}
