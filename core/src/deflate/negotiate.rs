//! Negotiation (RFC 7692 5 and 7.1): the client's offer, the server's choice among offers, and
//! the client's checks on the response. Pure functions over strings.

use crate::deflate::MIN_WINDOW_BITS;
use crate::deflate::{ClientMaxWindowBits, DeflateConfig, DeflateParams, MAX_WINDOW_BITS};
use crate::error::ExtensionError;

impl DeflateConfig {
    /// The parameters the client offers.
    pub fn offer_params(&self) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: self.server_no_context_takeover,
            client_no_context_takeover: self.client_no_context_takeover,
            server_max_window_bits: self.server_max_window_bits,
            client_max_window_bits: self.client_max_window_bits,
        }
    }

    /// The client's offer, as it goes in `Sec-WebSocket-Extensions`.
    ///
    /// # Examples
    /// ```
    /// let mut config = wsstream_core::deflate::DeflateConfig::default();
    /// config.client_no_context_takeover = true;
    /// assert_eq!(
    ///     config.offer(),
    ///     "permessage-deflate; client_no_context_takeover; client_max_window_bits"
    /// );
    /// ```
    pub fn offer(&self) -> String {
        self.offer_params().to_string()
    }

    /// Server: accepts the first acceptable permessage-deflate offer among `offers` (elements of
    /// `Sec-WebSocket-Extensions`, as in [`Request::extensions`](crate::Request::extensions)),
    /// skipping other extensions and offers that do not parse (RFC 7692 5.1: "the server MUST
    /// decline the offer" with unknown parameters or invalid values). Returns the agreement, whose
    /// [`Display`](std::fmt::Display) is the response element; `None` declines them all.
    pub fn negotiate<S: AsRef<str>>(&self, offers: &[S]) -> Option<DeflateParams> {
        offers.iter().find_map(|offer| self.accept_offer(offer.as_ref()).ok())
    }

    /// Server: the agreement answering one offer, following python-websockets' tables for RFC
    /// 7692 7.1: what the client asks for is granted, and this configuration adds its own
    /// demands (`*_no_context_takeover`, smaller windows). Every parameter that holds is written
    /// in the response, so both ends agree on all of them.
    ///
    /// # Errors
    /// What [`DeflateParams::parse`] finds wrong with the offer.
    pub fn accept_offer(&self, offer: &str) -> Result<DeflateParams, ExtensionError> {
        let offer = DeflateParams::parse(offer)?;
        let clamp = |bits: u8| bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        // RFC 7692 7.1.2.1: the server answers with "the same or smaller value as the offer".
        let server_max_window_bits =
            match (offer.server_max_window_bits, self.server_max_window_bits) {
                (Some(asked), Some(mine)) => Some(asked.min(clamp(mine))),
                (asked, mine) => asked.or(mine.map(clamp)),
            };
        // RFC 7692 7.1.2.2: "If a received extension negotiation offer doesn't have the
        // "client_max_window_bits" extension parameter, the corresponding extension negotiation
        // response to the offer MUST NOT include the "client_max_window_bits" extension
        // parameter."
        let client_max_window_bits =
            match (offer.client_max_window_bits, self.client_max_window_bits) {
                (ClientMaxWindowBits::Absent, _) => ClientMaxWindowBits::Absent,
                (ClientMaxWindowBits::NoValue, ClientMaxWindowBits::Bits(mine)) => {
                    ClientMaxWindowBits::Bits(clamp(mine))
                }
                (ClientMaxWindowBits::NoValue, _) => ClientMaxWindowBits::Absent,
                (ClientMaxWindowBits::Bits(asked), ClientMaxWindowBits::Bits(mine)) => {
                    ClientMaxWindowBits::Bits(asked.min(clamp(mine)))
                }
                (ClientMaxWindowBits::Bits(asked), _) => ClientMaxWindowBits::Bits(asked),
            };
        Ok(DeflateParams {
            server_no_context_takeover: offer.server_no_context_takeover
                || self.server_no_context_takeover,
            client_no_context_takeover: offer.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        })
    }

    /// Client: checks the server's response `element` against the offer this configuration made
    /// ([`offer`](Self::offer)) and returns the agreement both ends follow.
    ///
    /// Where the response leaves out something the client asked of itself
    /// (`client_no_context_takeover`, `client_max_window_bits=N`), the client keeps to it, as RFC
    /// 7692 7.1.1.2 and 7.1.2.2 allow.
    ///
    /// # Errors
    /// What [`DeflateParams::parse`] finds wrong; [`ExtensionError::InvalidValue`] for
    /// `client_max_window_bits` without a value; [`ExtensionError::NotOffered`] for
    /// `client_max_window_bits` not offered or a window larger than offered;
    /// [`ExtensionError::MissingParameter`] when `server_no_context_takeover` or
    /// `server_max_window_bits` was asked for and is not granted.
    pub fn accept_response(&self, element: &str) -> Result<DeflateParams, ExtensionError> {
        let mut res = DeflateParams::parse(element)?;
        // RFC 7692 7.1.1.1: a server accepts server_no_context_takeover by including it.
        if self.server_no_context_takeover && !res.server_no_context_takeover {
            return Err(ExtensionError::MissingParameter);
        }
        res.client_no_context_takeover |= self.client_no_context_takeover;
        match (self.server_max_window_bits, res.server_max_window_bits) {
            (Some(_), None) => return Err(ExtensionError::MissingParameter),
            (Some(asked), Some(got)) if got > asked => return Err(ExtensionError::NotOffered),
            _ => {}
        }
        res.client_max_window_bits = match (self.client_max_window_bits, res.client_max_window_bits)
        {
            // RFC 7692 7.1.2.2: in a response the parameter "MUST have a value".
            (_, ClientMaxWindowBits::NoValue) => return Err(ExtensionError::InvalidValue),
            (ClientMaxWindowBits::Absent, ClientMaxWindowBits::Bits(_)) => {
                return Err(ExtensionError::NotOffered);
            }
            (ClientMaxWindowBits::Bits(offered), ClientMaxWindowBits::Bits(got))
                if got > offered =>
            {
                return Err(ExtensionError::NotOffered);
            }
            (ClientMaxWindowBits::Bits(offered), ClientMaxWindowBits::Absent) => {
                ClientMaxWindowBits::Bits(offered)
            }
            (_, got) => got,
        };
        Ok(res)
    }
}
