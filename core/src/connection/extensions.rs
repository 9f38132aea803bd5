//! Extensions on a connection: agreeing on permessage-deflate in the handshake, and compressing
//! outgoing messages. (Incoming ones are inflated by the frame decoder.)
//!
//! Without the `deflate` feature no extension is offered or accepted, and these are no-ops.

#[cfg(feature = "deflate")]
mod enabled {
    use super::super::{Connection, InvalidState};
    use crate::config::Role;
    use crate::deflate::{
        ClientMaxWindowBits, DeflateConfig, DeflateParams, Deflater, EXTENSION_NAME, Inflater,
    };
    use crate::error::{ExtensionError, HandshakeError};
    use crate::frame::header::RSV1_BIT;
    use crate::payload::Payload;

    /// The permessage-deflate elements of an extensions value.
    fn deflate_elements(extensions: &str) -> impl Iterator<Item = &str> {
        extensions.split(',').map(str::trim).filter(|element| {
            let name = element.split(';').next().unwrap_or("").trim();
            name.eq_ignore_ascii_case(EXTENSION_NAME)
        })
    }

    impl Connection {
        /// The offers a client makes.
        pub(in crate::connection) fn extension_offers(
            deflate: Option<&DeflateConfig>,
        ) -> Vec<String> {
            deflate.map(DeflateConfig::offer).into_iter().collect()
        }

        pub(in crate::connection) fn enable_client_extensions(
            &mut self,
        ) -> Result<(), HandshakeError> {
            let Some(agreed) = self.extensions.as_deref() else { return Ok(()) };
            let mut found = None;
            for element in deflate_elements(agreed) {
                let invalid = |error| HandshakeError::InvalidExtension {
                    extension: element.to_owned(),
                    error,
                };
                if found.is_some() {
                    return Err(invalid(ExtensionError::Duplicate));
                }
                // Offered, since the handshake only accepts offered names.
                let config = self.deflate_config.unwrap_or_default();
                found = Some((config, config.accept_response(element).map_err(invalid)?));
            }
            if let Some((config, params)) = found {
                self.enable_deflate(&config, &params);
            }
            Ok(())
        }

        /// The extensions a server answers with, given what the caller chose.
        pub(in crate::connection) fn server_extensions(
            &mut self,
            offers: &[String],
            chosen: Option<&str>,
        ) -> Result<Option<String>, InvalidState> {
            let Some(chosen) = chosen else {
                let Some(config) = self.deflate_config else { return Ok(None) };
                let Some(params) = config.negotiate(offers) else { return Ok(None) };
                self.enable_deflate(&config, &params);
                return Ok(Some(params.to_string()));
            };
            let mut found = None;
            for element in deflate_elements(chosen) {
                let params = DeflateParams::parse(element)
                    .ok()
                    .filter(|p| p.client_max_window_bits != ClientMaxWindowBits::NoValue)
                    .ok_or(InvalidState("invalid permessage-deflate response parameters"))?;
                if found.replace(params).is_some() {
                    return Err(InvalidState("permessage-deflate accepted twice"));
                }
            }
            if let Some(params) = found {
                self.enable_deflate(&self.deflate_config.unwrap_or_default(), &params);
            }
            Ok(Some(chosen.to_owned()))
        }

        fn enable_deflate(&mut self, config: &DeflateConfig, params: &DeflateParams) {
            let client = self.role == Role::Client;
            let deflater = Deflater::new(params.direction(client), config.level, config.threshold);
            self.deflater = Some(Box::new(deflater));
            self.decoder.set_inflater(Box::new(Inflater::new(params.direction(!client))));
        }

        /// The payload of an outgoing message and its RSV bits: compressed (RSV1) when
        /// permessage-deflate is on and the message is not under the threshold.
        pub(in crate::connection) fn compress(&mut self, payload: Payload) -> (u8, Payload) {
            match self.deflater.as_mut().and_then(|d| d.compress(&payload)) {
                Some(compressed) => (RSV1_BIT, Payload::from(compressed)),
                None => (0, payload),
            }
        }
    }
}

#[cfg(not(feature = "deflate"))]
mod disabled {

    use super::super::{Connection, InvalidState};
    use crate::error::HandshakeError;
    use crate::payload::Payload;

    impl Connection {
        pub(in crate::connection) fn enable_client_extensions(
            &mut self,
        ) -> Result<(), HandshakeError> {
            Ok(())
        }

        pub(in crate::connection) fn server_extensions(
            &mut self,
            _offers: &[String],
            chosen: Option<&str>,
        ) -> Result<Option<String>, InvalidState> {
            Ok(chosen.map(str::to_owned))
        }

        pub(in crate::connection) fn compress(&mut self, payload: Payload) -> (u8, Payload) {
            (0, payload)
        }
    }
}
