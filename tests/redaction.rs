//! Property tests of credential redaction (`Redactor`, `ClientConfig::redact`): a random
//! credential embedded in random text in any form it can take (exact, a fragment of 8 or more
//! characters, split by whitespace, percent-encoded in either case, HTML entities, JSON
//! escapes, base64 of `email:token`, cut where a message would be cut) is never recoverable
//! from the output; text that holds none of it is returned unchanged.
//!
//! The check decodes the output with its own small decoder (below), not the library's.
//! `REDACTION_CASES=<n>` sets the number of cases of each property (default 2,000).
#![cfg(not(target_arch = "wasm32"))]

use confluence_users::{validate_response, Auth, ClientConfig, Error, GetUserParams, REDACTED};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

const MIN: usize = 8;

fn cases() -> u32 {
    std::env::var("REDACTION_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn run<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if let Err(e) = TestRunner::new(config).run(&strategy, test) {
        panic!("{e}");
    }
}

/// The test's own reading of a text: whitespace dropped, `%HH`, `&#N;`, `&#xH;`, a few named
/// entities and `\uXXXX` decoded, as bytes.
fn oracle_decode(text: &[u8]) -> Vec<u8> {
    let hex = |b: &[u8]| {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| u32::from_str_radix(s, 16).ok())
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.len() >= 3 && rest[0] == b'%' && rest[1..3].iter().all(u8::is_ascii_hexdigit) {
            out.push(hex(&rest[1..3]).unwrap_or(0) as u8);
            i += 3;
            continue;
        }
        if rest.len() >= 6
            && rest.starts_with(b"\\u")
            && rest[2..6].iter().all(u8::is_ascii_hexdigit)
        {
            if let Some(c) = hex(&rest[2..6]).and_then(char::from_u32) {
                out.extend_from_slice(c.to_string().as_bytes());
                i += 6;
                continue;
            }
        }
        if rest[0] == b'&' {
            if let Some(semi) = rest.iter().take(12).position(|&b| b == b';') {
                let name = &rest[1..semi];
                let c = match name {
                    [b'#', b'x' | b'X', h @ ..] => hex(h).and_then(char::from_u32),
                    [b'#', d @ ..] => std::str::from_utf8(d)
                        .ok()
                        .and_then(|d| d.parse().ok())
                        .and_then(char::from_u32),
                    b"amp" => Some('&'),
                    b"sol" => Some('/'),
                    b"plus" => Some('+'),
                    b"equals" => Some('='),
                    b"lt" => Some('<'),
                    b"gt" => Some('>'),
                    _ => None,
                };
                if let Some(c) = c {
                    out.extend_from_slice(c.to_string().as_bytes());
                    i += semi + 1;
                    continue;
                }
            }
        }
        out.push(rest[0]);
        i += 1;
    }
    out.retain(|b| !b.is_ascii_whitespace());
    out
}

fn strip_ws(text: &str) -> Vec<u8> {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .into_bytes()
}

/// Where in `text` (read as written, or decoded once or twice) an 8-byte window of `secret`
/// is found, if anywhere.
fn recoverable(text: &str, secret: &[u8]) -> Option<String> {
    let raw = strip_ws(text);
    let once = oracle_decode(&raw);
    let twice = oracle_decode(&once);
    for reading in [raw, once, twice] {
        for window in secret.windows(MIN.min(secret.len())) {
            if reading.windows(window.len()).any(|w| w == window) {
                return Some(String::from_utf8_lossy(window).into_owned());
            }
        }
    }
    None
}

fn base64(input: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                A[(n >> (18 - 6 * i)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    out
}

/// The forms a credential can come back in.
#[derive(Debug, Clone, Copy)]
enum Form {
    Exact,
    /// A fragment of at least 8 characters, at a random place.
    Fragment,
    /// Split at random places by runs of whitespace and line breaks.
    Split,
    PercentUpper,
    PercentLower,
    EntitiesDecimal,
    EntitiesHex,
    JsonEscapes,
    /// The base64 of `email:token` (the basic credential).
    Base64Pair,
    /// Cut where a message is cut: the text ends inside the credential.
    Cut,
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![
        Just(Form::Exact),
        Just(Form::Fragment),
        Just(Form::Split),
        Just(Form::PercentUpper),
        Just(Form::PercentLower),
        Just(Form::EntitiesDecimal),
        Just(Form::EntitiesHex),
        Just(Form::JsonEscapes),
        Just(Form::Base64Pair),
        Just(Form::Cut),
    ]
}

/// Random surrounding text, with the characters the decoders react to mixed in.
fn filler() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z ]{0,30}", "\\PC{0,30}", "[%&#;\\\\<>/a-f0-9 \n]{0,30}",]
}

/// Secrets as Atlassian hands them out (API tokens, OAuth tokens): visible ASCII.
fn secret() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9+/=_.~-]{8,90}", "[!-~]{8,40}"]
}

/// `secret` in `form`; `picks` choose the fragment, the split points and the cut.
fn embed(secret: &str, email: &str, form: Form, picks: (usize, usize, usize)) -> (String, Vec<u8>) {
    let bytes = secret.as_bytes();
    let (a, b, c) = picks;
    match form {
        Form::Exact => (secret.to_owned(), bytes.to_vec()),
        Form::Fragment | Form::Cut => {
            let len = MIN + a % (bytes.len() - MIN + 1);
            let start = b % (bytes.len() - len + 1);
            (
                secret[start..start + len].to_owned(),
                bytes[start..start + len].to_vec(),
            )
        }
        Form::Split => {
            let mut out = String::new();
            for (i, ch) in secret.chars().enumerate() {
                if i > 0 && (i * 7 + a) % (3 + b % 9) == 0 {
                    out.push_str(["\n", "\r\n  ", " ", "\t", "\u{a0}"][(i + c) % 5]);
                }
                out.push(ch);
            }
            (out, bytes.to_vec())
        }
        Form::PercentUpper => (
            bytes.iter().map(|b| format!("%{b:02X}")).collect(),
            bytes.to_vec(),
        ),
        Form::PercentLower => (
            bytes.iter().map(|b| format!("%{b:02x}")).collect(),
            bytes.to_vec(),
        ),
        Form::EntitiesDecimal => (
            bytes.iter().map(|b| format!("&#{b};")).collect(),
            bytes.to_vec(),
        ),
        Form::EntitiesHex => (
            bytes.iter().map(|b| format!("&#x{b:x};")).collect(),
            bytes.to_vec(),
        ),
        Form::JsonEscapes => (
            bytes.iter().map(|b| format!("\\u{b:04x}")).collect(),
            bytes.to_vec(),
        ),
        Form::Base64Pair => {
            let encoded = base64(format!("{email}:{secret}").as_bytes());
            // The characters that encode the email alone are not the credential's.
            let own = (email.len() + 1) / 3 * 4;
            (encoded.clone(), encoded.as_bytes()[own..].to_vec())
        }
    }
}

#[test]
fn a_credential_in_any_form_is_never_recoverable() {
    run(
        (
            secret(),
            "[a-z]{1,12}@[a-z]{1,8}\\.com",
            any::<bool>(),
            form(),
            filler(),
            filler(),
            (any::<usize>(), any::<usize>(), any::<usize>()),
        ),
        |(secret, email, basic, form, before, after, picks)| {
            let auth = match basic {
                true => Auth::Basic {
                    email: email.clone(),
                    api_token: secret.clone(),
                },
                false => Auth::Bearer {
                    token: secret.clone(),
                },
            };
            let config =
                ClientConfig::new(None, auth).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if matches!(form, Form::Base64Pair) && !basic {
                return Ok(());
            }
            let (embedded, needle) = embed(&secret, &email, form, picks);
            let mut text = format!("{before}{embedded}{after}");
            if matches!(form, Form::Cut) {
                // The text ends right after the fragment, with the cut's ellipsis.
                text = format!("{before}{embedded}…");
            }
            let out = config.redact(&text);
            for piece in out.split(REDACTED) {
                if let Some(found) = recoverable(piece, &needle) {
                    return Err(TestCaseError::fail(format!(
                        "{found:?} recoverable from {out:?} (input {text:?})"
                    )));
                }
            }
            prop_assert!(out.contains(REDACTED), "nothing redacted in {:?}", text);
            Ok(())
        },
    );
}

#[test]
fn text_without_the_credential_is_unchanged() {
    run(
        (
            secret(),
            prop_oneof!["\\PC{0,200}", "[%&#;\\\\<>/a-fA-F0-9xu \n]{0,200}"],
        ),
        |(secret, text)| {
            // Text that, read every way, holds no 8 characters of the secret in a row.
            prop_assume!(recoverable(&text, secret.as_bytes()).is_none());
            let config = ClientConfig::new(
                None,
                Auth::Bearer {
                    token: secret.clone(),
                },
            )
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let b64 = base64(secret.as_bytes());
            prop_assume!(recoverable(&text, b64.as_bytes()).is_none());
            prop_assert_eq!(config.redact(&text), text);
            Ok(())
        },
    );
}

/// A 2xx body whose broken member's key is the credential: the decode error quotes the key,
/// cut to 64 characters. Redaction runs before the cut, so not even the few characters of the
/// credential a cut after redaction could leave (fewer than 8) survive.
#[test]
fn decode_errors_are_redacted_before_the_cut() {
    let token = "tok3n-0123456789-ABCDEFGHIJ-abcdefghij-0123456789-KLMNOPQRST-end";
    let config = ClientConfig::new(
        None,
        Auth::Bearer {
            token: token.into(),
        },
    )
    .unwrap();
    for lead in 55..64 {
        let key = format!("{}{token}", "k".repeat(lead));
        let body = format!(r#"{{"type":"known","accountId":"a","{key}": [1, }}"#);
        let redact = |s: &str| config.redact(s);
        let err = validate_response::<GetUserParams>(
            200,
            Some("application/json"),
            body.as_bytes(),
            &redact,
        )
        .unwrap_err();
        let Error::Decode { path, message, .. } = &err else {
            panic!("{err:?}")
        };
        let shown = format!("{path} {message}");
        assert!(shown.contains("kkkkkkkk"), "the key is quoted: {shown}");
        assert!(!shown.contains(&token[..3]), "{lead}: {shown}");
        let content_type = format!("text/{token}");
        let err = validate_response::<GetUserParams>(200, Some(&content_type), b"{}", &redact)
            .unwrap_err();
        assert!(!err.to_string().contains(&token[..3]), "{err}");
    }
}

/// Every token a call was given is redacted, not only the latest.
#[test]
fn every_token_added_stays_redacted() {
    let mut r = confluence_users::Redactor::default();
    let tokens: Vec<String> = (0..5)
        .map(|n| format!("rotating-token-{n}-{}", "z".repeat(n + 3)))
        .collect();
    for t in &tokens {
        r.add_credential(t);
    }
    let text = tokens.join(" | ");
    let out = r.redact(&text);
    for t in &tokens {
        assert!(
            recoverable(&out.replace(REDACTED, " "), t.as_bytes()).is_none(),
            "{out}"
        );
    }
}
