//! The permessage-deflate extension element: parsing (strict) and formatting.

use std::fmt;

use crate::config::is_token;
use crate::deflate::{ClientMaxWindowBits, EXTENSION_NAME};
use crate::error::ExtensionError;

/// The parameters of one permessage-deflate offer or response (RFC 7692 7.1), or of an
/// agreement.
///
/// Its [`Display`](fmt::Display) writes the extension element, `permessage-deflate` followed by
/// the parameters that are set, in the order RFC 7692 lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateParams {
    /// `server_no_context_takeover`: the server compresses each message with a fresh context.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover`: the client compresses each message with a fresh context.
    pub client_no_context_takeover: bool,
    /// `server_max_window_bits`: the largest window the server compresses with; `None` for 15.
    pub server_max_window_bits: Option<u8>,
    /// `client_max_window_bits`: the largest window the client compresses with
    /// ([`ClientMaxWindowBits::Absent`] for 15 in an agreement).
    pub client_max_window_bits: ClientMaxWindowBits,
}

impl Default for DeflateParams {
    /// No parameters: `permessage-deflate` alone.
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            client_max_window_bits: ClientMaxWindowBits::Absent,
        }
    }
}

impl DeflateParams {
    /// Parses one element of `Sec-WebSocket-Extensions` (one offer or one response), strictly.
    ///
    /// The grammar is RFC 6455 9.1's, with white space allowed around `;` and `=`; a value may be
    /// a quoted string, whose content must then be a token (RFC 6455 9.1). The extension name
    /// is compared case-insensitively, parameter names exactly. Window sizes must be written
    /// `8` to `15`, without leading zeros (RFC 7692 7.1.2.1).
    ///
    /// # Errors
    /// [`ExtensionError::Name`] for another extension; [`ExtensionError::Syntax`],
    /// [`ExtensionError::UnknownParameter`], [`ExtensionError::DuplicateParameter`] or
    /// [`ExtensionError::InvalidValue`] for an element RFC 7692 5.1 and 7.1 make unacceptable.
    ///
    /// # Examples
    /// ```
    /// use wsstream_core::deflate::{ClientMaxWindowBits, DeflateParams};
    /// use wsstream_core::error::ExtensionError;
    ///
    /// let p = DeflateParams::parse("permessage-deflate; client_max_window_bits=\"10\"")?;
    /// assert_eq!(p.client_max_window_bits, ClientMaxWindowBits::Bits(10));
    /// assert_eq!(
    ///     DeflateParams::parse("permessage-deflate; server_max_window_bits=16"),
    ///     Err(ExtensionError::InvalidValue)
    /// );
    /// # Ok::<(), ExtensionError>(())
    /// ```
    pub fn parse(element: &str) -> Result<Self, ExtensionError> {
        let mut parts = element.split(';');
        let name = parts.next().unwrap_or("").trim_matches(is_ows);
        if !is_token(name) {
            return Err(ExtensionError::Syntax);
        }
        if !name.eq_ignore_ascii_case(EXTENSION_NAME) {
            return Err(ExtensionError::Name);
        }
        let mut params = Self::default();
        let mut seen = [false; 4];
        for part in parts {
            let (name, value) = match part.split_once('=') {
                Some((n, v)) => (n.trim_matches(is_ows), Some(unquote(v.trim_matches(is_ows))?)),
                None => (part.trim_matches(is_ows), None),
            };
            if !is_token(name) {
                return Err(ExtensionError::Syntax);
            }
            let index = match name {
                "server_no_context_takeover" => 0,
                "client_no_context_takeover" => 1,
                "server_max_window_bits" => 2,
                "client_max_window_bits" => 3,
                _ => return Err(ExtensionError::UnknownParameter),
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(ExtensionError::DuplicateParameter);
            }
            match (index, value) {
                (0, None) => params.server_no_context_takeover = true,
                (1, None) => params.client_no_context_takeover = true,
                (2, Some(v)) => params.server_max_window_bits = Some(window_bits(&v)?),
                (3, None) => params.client_max_window_bits = ClientMaxWindowBits::NoValue,
                (3, Some(v)) => {
                    params.client_max_window_bits = ClientMaxWindowBits::Bits(window_bits(&v)?);
                }
                _ => return Err(ExtensionError::InvalidValue),
            }
        }
        Ok(params)
    }
}

impl fmt::Display for DeflateParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXTENSION_NAME)?;
        if self.server_no_context_takeover {
            f.write_str("; server_no_context_takeover")?;
        }
        if self.client_no_context_takeover {
            f.write_str("; client_no_context_takeover")?;
        }
        if let Some(bits) = self.server_max_window_bits {
            write!(f, "; server_max_window_bits={bits}")?;
        }
        match self.client_max_window_bits {
            ClientMaxWindowBits::Absent => Ok(()),
            ClientMaxWindowBits::NoValue => f.write_str("; client_max_window_bits"),
            ClientMaxWindowBits::Bits(bits) => write!(f, "; client_max_window_bits={bits}"),
        }
    }
}

/// Optional white space (RFC 9110 5.6.3).
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// The content of a token or quoted-string value, which must be a token (RFC 6455 9.1:
/// "When using the quoted-string syntax variant, the value after quoted-string unescaping MUST
/// conform to the 'token' ABNF").
fn unquote(value: &str) -> Result<String, ExtensionError> {
    let Some(rest) = value.strip_prefix('"') else {
        return if is_token(value) { Ok(value.to_owned()) } else { Err(ExtensionError::Syntax) };
    };
    let inner = rest.strip_suffix('"').ok_or(ExtensionError::Syntax)?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().ok_or(ExtensionError::Syntax)?),
            '"' => return Err(ExtensionError::Syntax),
            c => out.push(c),
        }
    }
    if !is_token(&out) {
        return Err(ExtensionError::Syntax);
    }
    Ok(out)
}

/// A window size, written as RFC 7692 7.1.2.1 asks: "a decimal integer value without leading
/// zeroes between 8 and 15, inclusive".
fn window_bits(value: &str) -> Result<u8, ExtensionError> {
    match value {
        "8" => Ok(8),
        "9" => Ok(9),
        "10" => Ok(10),
        "11" => Ok(11),
        "12" => Ok(12),
        "13" => Ok(13),
        "14" => Ok(14),
        "15" => Ok(15),
        _ => Err(ExtensionError::InvalidValue),
    }
}
