//! [`CompressionLayer`]: the tower layer behind the [`Compression`](super::Compression) plugin,
//! usable on its own around a route group (`routing! { layer(l) { .. } }`).
use std::sync::Arc;

use tower_layer::Layer;

use super::{config::Settings, service::CompressionService, Compression};

/// Compresses responses and decodes request bodies of the services it wraps, as configured.
///
/// Build one with [`Compression::configure`](super::Compression::configure) and
/// [`Compression::into_layer`](super::Compression::into_layer); `CompressionLayer::default()`
/// uses the default configuration. See the [module docs](crate::plugins::compression).
#[derive(Debug, Clone)]
pub struct CompressionLayer {
    pub(crate) settings: Arc<Settings>,
}

impl Default for CompressionLayer {
    fn default() -> Self {
        Compression::default().into_layer()
    }
}

impl<S> Layer<S> for CompressionLayer {
    type Service = CompressionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CompressionService {
            inner,
            settings: self.settings.clone(),
        }
    }
}
