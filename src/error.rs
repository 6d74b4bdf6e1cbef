//! The crate's one error type.

use std::fmt;

/// The parsed JSON body of an error response, kept whole so nothing Atlassian sent is lost
/// (`{statusCode, message, data: {errors: [...]}}` for v1 errors, `{code, message}` for OAuth
/// scope failures).
pub type ErrorBody = serde_json::Value;

/// Everything that can go wrong with a call. Each variant's documentation gives the cause and
/// the fix.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A parameter or client option was refused before any request was sent. Nothing reached
    /// the network. Fix the named parameter: the message says which one and what it must be.
    InvalidArgument {
        /// What was wrong, naming the parameter.
        message: String,
    },
    /// Confluence answered with a status outside 2xx. 401: the credentials are missing or
    /// wrong; 403: the user lacks the "Can use" permission (or an admin right for migration);
    /// 404: no such user; 400 on the email endpoints: the app is not approved for them.
    Http {
        /// The HTTP status.
        status: u16,
        /// Atlassian's human message, when the body carried one.
        message: Option<String>,
        /// The error body, when it was JSON.
        body: Option<ErrorBody>,
    },
    /// A 2xx response whose body is not what the endpoint promises (not JSON, truncated, or of
    /// the wrong shape). Usually a proxy or gateway answered instead of Confluence; the path
    /// says where the body first broke the contract.
    Decode {
        /// The HTTP status of the response.
        status: u16,
        /// The JSON path of the failure, `.` for the whole body.
        path: String,
        /// What was wrong there.
        message: String,
    },
    /// The request never got an HTTP answer: DNS, TLS, connection reset, CORS in a browser, or
    /// a custom `fetch` that threw. Check the base URL and the network; in a browser, route
    /// calls through a host bridge or proxy, as Confluence sends no CORS headers.
    Network {
        /// The transport's own description, with any credential removed.
        message: String,
    },
    /// No answer came within the per-attempt timeout, on the last attempt allowed. Raise the
    /// `timeout` option, or check why the server or the network is this slow.
    Timeout {
        /// The per-attempt timeout that ran out, in milliseconds.
        timeout_ms: u64,
    },
    /// The caller's `AbortSignal` fired; whatever was in flight was stopped.
    Aborted,
}

/// The stable, machine-readable category of an [`Error`]; the JS error's `kind` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::InvalidArgument`].
    InvalidArgument,
    /// [`Error::Http`].
    Http,
    /// [`Error::Decode`].
    Decode,
    /// [`Error::Network`].
    Network,
    /// [`Error::Timeout`].
    Timeout,
    /// [`Error::Aborted`].
    Aborted,
}

impl ErrorKind {
    /// The name used in JavaScript (`err.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalidArgument",
            ErrorKind::Http => "http",
            ErrorKind::Decode => "decode",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Aborted => "aborted",
        }
    }
}

impl Error {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            message: message.into(),
        }
    }

    /// The error's category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            Error::Http { .. } => ErrorKind::Http,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Network { .. } => ErrorKind::Network,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Aborted => ErrorKind::Aborted,
        }
    }

    /// The HTTP status the error came with, or 0 when there was no response.
    pub fn status(&self) -> u16 {
        match self {
            Error::Http { status, .. } | Error::Decode { status, .. } => *status,
            Error::InvalidArgument { .. }
            | Error::Network { .. }
            | Error::Timeout { .. }
            | Error::Aborted => 0,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument { message } => write!(f, "invalid argument: {message}"),
            Error::Http {
                status, message, ..
            } => {
                write!(f, "{status}")?;
                if let Some(reason) = reason_phrase(*status) {
                    write!(f, " {reason}")?;
                }
                match message {
                    Some(message) => write!(f, ": {message}"),
                    None => Ok(()),
                }
            }
            Error::Decode { path, message, .. } => {
                write!(f, "invalid response body at {path}: {message}")
            }
            Error::Network { message } => write!(f, "network error: {message}"),
            Error::Timeout { timeout_ms } => write!(f, "timed out after {timeout_ms} ms"),
            Error::Aborted => f.write_str("aborted"),
        }
    }
}

impl std::error::Error for Error {}

/// The reason phrase of a status (RFC 9110 and the registered extensions), so a message reads
/// right even when the response had none: HTTP/2 carries no reason phrase, and front ends answer
/// 414 and 431 with an empty body.
pub(crate) fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        511 => "Network Authentication Required",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_as_a_sentence_with_context() {
        let e = Error::Http {
            status: 404,
            message: Some("No user found".into()),
            body: None,
        };
        assert_eq!(e.to_string(), "404 Not Found: No user found");
        let e = Error::Http {
            status: 599,
            message: None,
            body: None,
        };
        assert_eq!(e.to_string(), "599");
        // Statuses front ends send with no body and (over HTTP/2) no reason phrase.
        for (status, text) in [
            (431, "431 Request Header Fields Too Large"),
            (414, "414 URI Too Long"),
            (413, "413 Content Too Large"),
        ] {
            let e = Error::Http {
                status,
                message: None,
                body: None,
            };
            assert_eq!(e.to_string(), text);
        }
        let e = Error::invalid("accountId must not be empty");
        assert_eq!(
            e.to_string(),
            "invalid argument: accountId must not be empty"
        );
        assert_eq!(e.kind().as_str(), "invalidArgument");
        assert_eq!(e.status(), 0);
    }

    #[test]
    fn kinds_and_statuses() {
        let d = Error::Decode {
            status: 200,
            path: "results[0].type".into(),
            message: "missing field".into(),
        };
        assert_eq!(d.kind(), ErrorKind::Decode);
        assert_eq!(d.status(), 200);
        assert_eq!(
            d.to_string(),
            "invalid response body at results[0].type: missing field"
        );
        let n = Error::Network {
            message: "connection reset".into(),
        };
        assert_eq!(n.kind().as_str(), "network");
        assert_eq!(n.status(), 0);
        let t = Error::Timeout { timeout_ms: 250 };
        assert_eq!((t.kind().as_str(), t.status()), ("timeout", 0));
        assert_eq!(t.to_string(), "timed out after 250 ms");
        assert_eq!(
            (
                Error::Aborted.kind().as_str(),
                Error::Aborted.to_string().as_str()
            ),
            ("aborted", "aborted")
        );
    }
}
