//! A block defined outside oxtor, here in the test file itself: `routing!` calls it as a method of
//! `Blocks`, so a plugin crate adds `name(args, key = value) { .. }` with an extension trait and a
//! `RoutingBlock`, without touching the macro — the shape of the auth plugin's
//! `authenticate("name", optional = true) { .. }`. Several positional arguments arrive as one
//! tuple; the block wraps its routes in a layer and attaches a start-up check.
use oxtor::{
    axum::{
        extract::Request,
        middleware::{from_fn, Next},
    },
    prelude::*,
    routing::{Blocks, RoutingBlock, Routes},
    Error,
};

/// Adds `tagged(..) { .. }` to `routing!`.
pub trait TaggedBlocks {
    /// `tagged("a")` or `tagged("a", "b", ..)`: tags the block's responses.
    fn tagged<T: Tags>(&self, tags: T) -> TaggedBlock;
}

impl TaggedBlocks for Blocks {
    fn tagged<T: Tags>(&self, tags: T) -> TaggedBlock {
        TaggedBlock {
            tags: tags.into_tags(),
            required: false,
        }
    }
}

/// One tag or several (a tuple, as `routing!` passes several positional arguments).
pub trait Tags {
    /// The tags, in order.
    fn into_tags(self) -> Vec<&'static str>;
}

impl Tags for &'static str {
    fn into_tags(self) -> Vec<&'static str> {
        vec![self]
    }
}

impl Tags for (&'static str, &'static str) {
    fn into_tags(self) -> Vec<&'static str> {
        vec![self.0, self.1]
    }
}

/// What `Blocks::tagged` builds; `required = true` is its key.
pub struct TaggedBlock {
    tags: Vec<&'static str>,
    required: bool,
}

impl TaggedBlock {
    /// Refuse to start unless the `Tagging` plugin is installed.
    pub fn required(&mut self, required: bool) -> &mut Self {
        self.required = required;
        self
    }
}

impl<S: Clone + Send + Sync + 'static> RoutingBlock<S> for TaggedBlock {
    fn wrap(self, routes: Routes<S>) -> Routes<S> {
        let tags = self.tags.join(",");
        let routes = routes.map_router(|router| {
            router.route_layer(from_fn(move |req: Request, next: Next| {
                let tags = tags.clone();
                async move {
                    let mut res = next.run(req).await;
                    if let Ok(value) = tags.parse() {
                        res.headers_mut().insert("x-tags", value);
                    }
                    res
                }
            }))
        });
        if !self.required {
            return routes;
        }
        routes.check(|cx| {
            if cx.installed("Tagging") {
                Ok(())
            } else {
                Err(Error::RouteCheck("tagged(..): install `Tagging` first".into()))
            }
        })
    }
}

#[route(GET, "/books")]
async fn books() {}

#[route(GET, "/authors")]
async fn authors() {}

fn main() {
    let _: Routes = routing! {
        tagged("library") { books }
        tagged("library", "people", required = true) { authors }
    };
}
