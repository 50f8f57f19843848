//! `GET /whoami`: who the client is by its TLS certificate (mutual TLS on the `sslPort`, see
//! `tls.conf`), or `anonymous` on the plain port and for clients without one.
use oxtor::prelude::*;

/// The subject of the client's verified certificate.
#[route(GET, "/whoami")]
async fn whoami(peer: Option<PeerCertificates>) -> String {
    match peer {
        Some(peer) => format!("{}\n", peer.subject()),
        None => "anonymous\n".to_owned(),
    }
}

/// The route of this module.
pub(crate) fn routes() -> oxtor::routing::Routes {
    routing! { whoami }
}
