//! Client configuration (base URL and credentials) and the request it builds.

use std::fmt;
use std::sync::OnceLock;

use crate::encode::base64;
use crate::endpoints::Endpoint;
use crate::error::Error;
use crate::redact::Redactor;

/// How requests authenticate.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No `Authorization` header: for a custom transport that authenticates itself (Forge's
    /// `requestConfluence`, Connect's `AP.request`) or for anonymous access.
    #[default]
    None,
    /// HTTP basic auth with an Atlassian account email and an API token.
    Basic {
        /// The account's email address.
        email: String,
        /// An API token from id.atlassian.com.
        api_token: String,
    },
    /// An OAuth 2.0 (3LO) access token, sent as `Authorization: Bearer`.
    Bearer {
        /// The access token.
        token: String,
    },
}

// Hand-written so that `{:?}` of a config or auth can never print a credential.
impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { email, .. } => f
                .debug_struct("Basic")
                .field("email", email)
                .field("api_token", &"<redacted>")
                .finish(),
            Auth::Bearer { .. } => f
                .debug_struct("Bearer")
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

/// A validated base URL plus the `Authorization` header value, ready to build requests.
#[derive(Clone)]
pub struct ClientConfig {
    /// `scheme://host[:port][/path]` with no trailing slash, or empty for relative requests.
    base: String,
    authorization: Option<String>,
    /// Every credential of this config, for [`Self::redact`].
    secrets: Vec<String>,
    /// Their search table, built the first time an error or a hook needs it: a client that
    /// never fails never pays for it (~35 µs natively for a 192-character API token).
    redactor: OnceLock<Redactor>,
}

// By hand: the redaction table is a cache of `secrets`, built or not.
impl PartialEq for ClientConfig {
    fn eq(&self, other: &Self) -> bool {
        (&self.base, &self.authorization, &self.secrets)
            == (&other.base, &other.authorization, &other.secrets)
    }
}

impl Eq for ClientConfig {}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base", &self.base)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// One HTTP request to send: always a `GET` with no body.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The HTTP method (`GET` for every user endpoint).
    pub method: &'static str,
    /// The absolute URL, or a path starting `/wiki/rest/api/` when the config has no base URL.
    pub url: String,
    /// Header names and values; holds the `Authorization` header when the config has one.
    pub headers: Vec<(&'static str, String)>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name.eq_ignore_ascii_case("authorization") {
                    "<redacted>"
                } else {
                    value.as_str()
                };
                (*name, shown)
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .finish()
    }
}

/// The REST API's root below a site's base URL.
const API_ROOT: &str = "/wiki/rest/api";

impl ClientConfig {
    /// Validates `base_url` and `auth`.
    ///
    /// `base_url` is the site (`https://your-domain.atlassian.net`) or the OAuth gateway
    /// (`https://api.atlassian.com/ex/confluence/<cloudId>`); `/wiki/rest/api/...` is appended.
    /// A trailing `/wiki` or `/wiki/rest/api` is accepted and dropped. It must be `https:`
    /// (`http:` only for loopback hosts) and carry no credentials, query or fragment. `None`
    /// makes requests relative (`/wiki/rest/api/user?...`), which is what host bridges take.
    pub fn new(base_url: Option<&str>, auth: Auth) -> Result<Self, Error> {
        let base = match base_url {
            Some(url) => normalize_base_url(url)?,
            None => String::new(),
        };
        let authorization = authorization_header(&auth)?;
        // The token alone, then the header value and its credential part alone (the base64
        // of email:token, whole: a short token's own base64 forms are too short to search for).
        let mut secrets: Vec<String> = match &auth {
            Auth::None => vec![],
            Auth::Basic { api_token, .. } => vec![api_token.clone()],
            Auth::Bearer { token } => vec![token.clone()],
        };
        if let Some(header) = &authorization {
            secrets.push(header.clone());
            if let Some((_, credential)) = header.split_once(' ') {
                secrets.push(credential.to_owned());
            }
        }
        Ok(ClientConfig {
            base,
            authorization,
            secrets,
            redactor: OnceLock::new(),
        })
    }

    /// Replaces every credential of this config found in `text`, in any form (see
    /// [`Redactor`]), with `[REDACTED]`. Applied to everything an error or a hook carries,
    /// since transports and servers can echo URLs and headers.
    pub fn redact(&self, text: &str) -> String {
        self.redactor
            .get_or_init(|| {
                let mut redactor = Redactor::default();
                if let Some(token) = self.secrets.first() {
                    redactor.add_credential(token);
                }
                for other in self.secrets.iter().skip(1) {
                    redactor.add(other);
                }
                redactor
            })
            .redact(text)
    }

    /// Refuses relative mode where nothing can resolve the relative paths: without a base URL
    /// every request goes to `/wiki/rest/api/...`, which only a host bridge's own `fetch`
    /// (Forge, Connect: `custom_fetch`) or a runtime with a page location to resolve against (a
    /// browser page or worker: `page_location`) can send. Elsewhere (Node, Deno, Bun, edge
    /// runtimes) the global `fetch` would throw on every call.
    pub fn require_resolvable(&self, custom_fetch: bool, page_location: bool) -> Result<(), Error> {
        if self.base.is_empty() && !custom_fetch && !page_location {
            return Err(Error::invalid(
                "baseUrl is missing, and this runtime's fetch cannot send the relative paths \
                 (/wiki/rest/api/...) used without it: pass baseUrl (such as \
                 https://your-domain.atlassian.net), or a fetch that resolves relative paths \
                 (a host bridge such as Forge's)",
            ));
        }
        Ok(())
    }

    /// The normalized base URL (empty in relative mode).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Builds the request for one call, validating its parameters first.
    pub fn request<E: Endpoint>(&self, params: &E) -> Result<Request, Error> {
        Ok(self.request_to(&params.path_and_query()?))
    }

    /// The request for `path_and_query` below the API root: [`Self::request`] once for every
    /// operation (its generic part is the path).
    fn request_to(&self, path_and_query: &str) -> Request {
        let mut url =
            String::with_capacity(self.base.len() + API_ROOT.len() + path_and_query.len());
        url.push_str(&self.base);
        url.push_str(API_ROOT);
        url.push_str(path_and_query);
        let mut headers = vec![("Accept", "application/json".to_owned())];
        if let Some(value) = &self.authorization {
            headers.push(("Authorization", value.clone()));
        }
        Request {
            method: "GET",
            url,
            headers,
        }
    }
}

fn authorization_header(auth: &Auth) -> Result<Option<String>, Error> {
    Ok(match auth {
        Auth::None => None,
        Auth::Basic { email, api_token } => {
            if email.is_empty() {
                return Err(Error::invalid("auth.email must not be empty"));
            }
            if email.contains(':') || email.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "auth.email must not contain ':' or control characters",
                ));
            }
            if api_token.is_empty() {
                return Err(Error::invalid("auth.apiToken must not be empty"));
            }
            if api_token.len() > MAX_CREDENTIAL_LEN {
                return Err(too_long("auth.apiToken"));
            }
            let mut pair = String::with_capacity(email.len() + 1 + api_token.len());
            pair.push_str(email);
            pair.push(':');
            pair.push_str(api_token);
            Some(format!("Basic {}", base64(pair.as_bytes())))
        }
        Auth::Bearer { token } => Some(bearer_authorization(token)?),
    })
}

/// The longest credential (API token or OAuth access token) accepted, in bytes. Servers refuse
/// header lines much longer than this (Apache's default limit is 8,190 bytes, nginx's 8 KiB), so
/// a longer one can only fail; refusing it also bounds the memory the redaction tables of an
/// error take (they grow with the credential's length).
pub const MAX_CREDENTIAL_LEN: usize = 8192;

fn too_long(what: &str) -> Error {
    Error::invalid(format!(
        "{what} is longer than {MAX_CREDENTIAL_LEN} bytes, more than any server accepts in a header"
    ))
}

/// The message of a call whose token function failed: `why` is what it threw or returned as
/// its error (redacted with the call's secrets before anyone sees it). The same words in both
/// front ends.
#[cfg(any(target_arch = "wasm32", feature = "client"))]
pub(crate) fn token_threw(why: &str) -> String {
    format!("auth.token threw: {why}")
}

/// The `Authorization` value for an OAuth access token, refusing one that could split or
/// forge a header. Used for fixed tokens and for each token a refresh callback returns.
pub(crate) fn bearer_authorization(token: &str) -> Result<String, Error> {
    if token.is_empty() {
        return Err(Error::invalid("auth.token must not be empty"));
    }
    if token.len() > MAX_CREDENTIAL_LEN {
        return Err(too_long("auth.token"));
    }
    // RFC 6750's b64token is visible ASCII; anything else (CR/LF above all) could split or
    // forge a header, so it is refused without echoing the value.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "auth.token must be visible ASCII without spaces or line breaks",
        ));
    }
    Ok(format!("Bearer {token}"))
}

fn normalize_base_url(url: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::invalid(format!("baseUrl {why}"));
    if url.is_empty() {
        return Err(bad("must not be empty"));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("must not contain spaces or control characters"));
    }
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        bad("must be an absolute https: URL such as https://your-domain.atlassian.net")
    })?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(bad("must use https: (http: only for loopback hosts)"));
    }
    if rest.contains('?') {
        return Err(bad("must not have a query"));
    }
    if rest.contains('#') {
        return Err(bad("must not have a fragment"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(bad(
            "must not contain credentials; pass them in the auth option",
        ));
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| bad("has an invalid host"))?;
    if scheme == "http" && !is_loopback(host) {
        return Err(bad(
            "must use https: (http: is allowed only for localhost, 127.0.0.0/8 and [::1])",
        ));
    }
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@%/".contains(&b));
    let escapes_ok = path.match_indices('%').all(|(i, _)| {
        path.as_bytes()
            .get(i + 1..i + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !path_ok || !escapes_ok {
        return Err(bad(
            "has characters in its path that must be percent-encoded",
        ));
    }
    let mut path = path.trim_end_matches('/');
    for suffix in [API_ROOT, "/wiki"] {
        if let Some(stripped) = path.strip_suffix(suffix) {
            path = stripped.trim_end_matches('/');
            break;
        }
    }
    let mut out = format!("{scheme}://{}", host.to_ascii_lowercase());
    if let Some(port) = port {
        out.push(':');
        out.push_str(port);
    }
    out.push_str(path);
    Ok(out)
}

/// Splits `host[:port]` (host may be a bracketed IPv6 literal); `None` when malformed.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if let Some(inner_and_rest) = authority.strip_prefix('[') {
        let (inner, rest) = inner_and_rest.split_once(']')?;
        let inner_ok = !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !inner_ok {
            return None;
        }
        let host = &authority[..inner.len() + 2];
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if !is_dns_or_ipv4_host(host) {
            return None;
        }
        (host, port)
    };
    if let Some(port) = port {
        let digits_ok =
            !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok || port.parse::<u32>().ok()? > 65535 {
            return None;
        }
    }
    Some((host, port))
}

/// A DNS name or IPv4 address: labels of letters, digits and `-`, none empty (one trailing
/// dot allowed). Internationalized names must be given in their punycode (`xn--`) form.
fn is_dns_or_ipv4_host(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "[::1]" {
        return true;
    }
    let mut octets = host.split('.');
    let first = octets.next();
    let rest: Vec<&str> = octets.collect();
    first == Some("127")
        && rest.len() == 3
        && rest
            .iter()
            .all(|o| !o.is_empty() && o.len() <= 3 && o.parse::<u8>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GetUserParams;

    fn base(url: &str) -> Result<String, String> {
        ClientConfig::new(Some(url), Auth::None)
            .map(|c| c.base_url().to_owned())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn base_urls_are_normalized() {
        assert_eq!(
            base("https://x.atlassian.net").unwrap(),
            "https://x.atlassian.net"
        );
        assert_eq!(
            base("https://x.atlassian.net/").unwrap(),
            "https://x.atlassian.net"
        );
        assert_eq!(
            base("HTTPS://X.Atlassian.NET/wiki/").unwrap(),
            "https://x.atlassian.net"
        );
        assert_eq!(
            base("https://x.atlassian.net/wiki/rest/api").unwrap(),
            "https://x.atlassian.net"
        );
        assert_eq!(
            base("https://api.atlassian.com/ex/confluence/1324a887-45db-1bf4-1e99-ef0ff456d421")
                .unwrap(),
            "https://api.atlassian.com/ex/confluence/1324a887-45db-1bf4-1e99-ef0ff456d421"
        );
        assert_eq!(
            base("http://127.0.0.1:8090").unwrap(),
            "http://127.0.0.1:8090"
        );
        assert_eq!(base("http://localhost:1/").unwrap(), "http://localhost:1");
        assert_eq!(base("http://[::1]:8080").unwrap(), "http://[::1]:8080");
        assert_eq!(
            base("https://[2001:db8::1]").unwrap(),
            "https://[2001:db8::1]"
        );
    }

    #[test]
    fn unsafe_base_urls_are_refused() {
        let cases = [
            ("", "must not be empty"),
            ("x.atlassian.net", "must be an absolute https: URL"),
            ("ftp://x.atlassian.net", "must use https:"),
            (
                "http://x.atlassian.net",
                "http: is allowed only for localhost",
            ),
            (
                "http://127.0.0.1.evil.com",
                "http: is allowed only for localhost",
            ),
            ("http://10.0.0.1", "http: is allowed only for localhost"),
            (
                "https://me:secret@x.atlassian.net",
                "must not contain credentials",
            ),
            ("https://x.atlassian.net?a=1", "must not have a query"),
            ("https://x.atlassian.net/#frag", "must not have a fragment"),
            ("https://x.atlass ian.net", "spaces or control characters"),
            (
                "https://x.atlassian.net\r\nHost: evil",
                "spaces or control characters",
            ),
            ("https://x..net", "invalid host"),
            ("https://x.net:99999", "invalid host"),
            ("https://x.net:", "invalid host"),
            ("https://[zz]", "invalid host"),
            ("https://exämple.net", "invalid host"),
            ("https://x.net/a\"b", "percent-encoded"),
            ("https://x.net/a%zz", "percent-encoded"),
            ("https://x.net/a%4", "percent-encoded"),
        ];
        for (url, expected) in cases {
            let err = base(url).unwrap_err();
            assert!(err.contains(expected), "{url:?}: {err}");
            assert!(
                err.starts_with("invalid argument: baseUrl"),
                "{url:?}: {err}"
            );
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn requests_carry_the_api_root_and_auth() {
        let config = ClientConfig::new(
            Some("https://x.atlassian.net"),
            Auth::Basic {
                email: "me@example.com".into(),
                api_token: "tok".into(),
            },
        )
        .unwrap();
        let req = config
            .request(&GetUserParams {
                account_id: "a b".into(),
                expand: vec![],
            })
            .unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(
            req.url,
            "https://x.atlassian.net/wiki/rest/api/user?accountId=a%20b"
        );
        assert_eq!(
            req.headers,
            vec![
                ("Accept", "application/json".to_owned()),
                ("Authorization", "Basic bWVAZXhhbXBsZS5jb206dG9r".to_owned()),
            ]
        );
        let relative = ClientConfig::new(
            None,
            Auth::Bearer {
                token: "abc.def".into(),
            },
        )
        .unwrap();
        let req = relative
            .request(&GetUserParams {
                account_id: "a".into(),
                expand: vec![],
            })
            .unwrap();
        assert_eq!(req.url, "/wiki/rest/api/user?accountId=a");
        assert_eq!(
            req.headers[1],
            ("Authorization", "Bearer abc.def".to_owned())
        );
        let none = ClientConfig::new(None, Auth::None).unwrap();
        // Relative paths need a host bridge's fetch or a page location to resolve against.
        let err = none
            .require_resolvable(false, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid argument: baseUrl is missing"),
            "{err}"
        );
        assert!(
            err.contains("pass baseUrl") && err.contains("a fetch that resolves relative paths"),
            "{err}"
        );
        assert!(none.require_resolvable(true, false).is_ok());
        assert!(none.require_resolvable(false, true).is_ok());
        let site = ClientConfig::new(Some("https://x.atlassian.net"), Auth::None).unwrap();
        assert!(site.require_resolvable(false, false).is_ok());
        let req = none
            .request(&crate::GetCurrentUserParams::default())
            .unwrap();
        assert_eq!(req.headers, vec![("Accept", "application/json".to_owned())]);
    }

    #[test]
    fn credentials_longer_than_any_header_limit_are_refused() {
        let long = "T".repeat(MAX_CREDENTIAL_LEN + 1);
        let most = "T".repeat(MAX_CREDENTIAL_LEN);
        assert!(bearer_authorization(&most).is_ok());
        let bearer = bearer_authorization(&long).unwrap_err().to_string();
        assert!(
            bearer.contains("auth.token is longer than 8192 bytes"),
            "{bearer}"
        );
        assert!(!bearer.contains("TTTTTTTT"), "{bearer}");
        let basic = ClientConfig::new(
            Some("https://x.atlassian.net"),
            Auth::Basic {
                email: "me@example.com".into(),
                api_token: long,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(basic.contains("auth.apiToken is longer than"), "{basic}");
        assert!(!basic.contains("TTTTTTTT"), "{basic}");
    }

    #[test]
    fn bad_credentials_are_refused_without_echoing_them() {
        let cases = [
            (
                Auth::Basic {
                    email: "".into(),
                    api_token: "SECRETTOKEN".into(),
                },
                "auth.email must not be empty",
            ),
            (
                Auth::Basic {
                    email: "a:b".into(),
                    api_token: "SECRETTOKEN".into(),
                },
                "auth.email must not contain ':'",
            ),
            (
                Auth::Basic {
                    email: "a".into(),
                    api_token: "".into(),
                },
                "auth.apiToken must not be empty",
            ),
            (
                Auth::Bearer { token: "".into() },
                "auth.token must not be empty",
            ),
            (
                Auth::Bearer {
                    token: "SECRET\r\nX-Evil: 1".into(),
                },
                "visible ASCII",
            ),
            (
                Auth::Bearer {
                    token: "SECRET TOKEN".into(),
                },
                "visible ASCII",
            ),
        ];
        for (auth, expected) in cases {
            let err = ClientConfig::new(None, auth).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
            assert!(!err.contains("SECRET"), "{err}");
        }
    }

    #[test]
    fn debug_output_and_redaction_hide_credentials() {
        let config = ClientConfig::new(
            Some("https://x.atlassian.net"),
            Auth::Basic {
                email: "me@example.com".into(),
                api_token: "SECRETTOKEN".into(),
            },
        )
        .unwrap();
        let req = config
            .request(&crate::GetCurrentUserParams::default())
            .unwrap();
        let shown = format!(
            "{config:?} {req:?} {:?}",
            Auth::Bearer {
                token: "SECRETTOKEN".into()
            }
        );
        assert!(!shown.contains("SECRETTOKEN"), "{shown}");
        assert!(
            !shown.contains("bWVAZXhhbXBsZS5jb206U0VDUkVUVE9LRU4="),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"));
        let header = &req.headers[1].1;
        let echoed = format!(
            "upstream said: token=SECRETTOKEN header={header} b64={}",
            &header[6..]
        );
        let redacted = config.redact(&echoed);
        assert_eq!(
            redacted,
            "upstream said: token=[REDACTED] header=[REDACTED] b64=[REDACTED]"
        );
        let bearer = ClientConfig::new(
            None,
            Auth::Bearer {
                token: "eyJhbGciOi.x.y".into(),
            },
        )
        .unwrap();
        assert_eq!(
            bearer.redact("Bearer eyJhbGciOi.x.y failed"),
            "[REDACTED] failed"
        );
    }
}
