//! [`RouteTable`]: the (path, methods) pairs a [`Routes`](super::Routes) or an
//! [`Application`](crate::Application) has mounted, checked before each addition the way axum
//! would check it — so that a conflict is a [`RouteConflict`] error instead of axum's panic.
//!
//! axum panics when a method is routed twice on one path, and when a path template cannot be
//! told apart from one already routed (`/books/{id}` then `/books/{name}`: its matcher, matchit,
//! refuses the second). The table asks the same matcher (a shadow `matchit::Router`), so it
//! refuses exactly what axum would.
use std::fmt;

use http::Method;

/// Routes that cannot be added next to routes already there: the same method on the same path,
/// or a path template axum's matcher cannot tell apart from one already routed.
///
/// Reported by [`Application::routing`](crate::Application::routing) as
/// [`Error::RouteConflict`](crate::Error::RouteConflict).
///
/// # Example
/// ```
/// use oxtor_runtime::{routing::{mount, Route, Routes}, Application, Error};
/// use axum::routing::{get, MethodRouter};
/// use http::Method;
///
/// struct hello {}
/// impl Route<(), ()> for hello {
///     const PATH: &'static str = "/hello";
///     const METHODS: &'static [Method] = &[Method::GET];
///     fn method_router(self) -> MethodRouter { get(|| async { "hi" }) }
/// }
///
/// let mut app = Application::new(());
/// app.routing(mount(Routes::new(), hello {})).unwrap();
/// let Err(Error::RouteConflict(conflict)) = app.routing(mount(Routes::new(), hello {})) else {
///     panic!("the second `GET /hello` conflicts");
/// };
/// assert_eq!(conflict.methods(), [Method::GET]);
/// assert_eq!(conflict.path(), "/hello");
/// assert_eq!(conflict.to_string(), "`GET /hello` is already routed");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteConflict {
    methods: Vec<Method>,
    path: String,
    with: Option<String>,
}

impl RouteConflict {
    /// The methods routed twice on [`path`](Self::path); all the new route's methods when the
    /// conflict is between two templates.
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// The path template of the route that could not be added (with its `route(..)` prefixes).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The template already routed that [`path`](Self::path) cannot be told apart from, when
    /// it is a different template (`/books/{id}` for `/books/{name}`); `None` when the same path
    /// has the same method twice.
    pub fn conflicts_with(&self) -> Option<&str> {
        self.with.as_deref()
    }
}

impl fmt::Display for RouteConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`")?;
        for (i, method) in self.methods.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(method.as_str())?;
        }
        if !self.methods.is_empty() {
            f.write_str(" ")?;
        }
        match &self.with {
            None => write!(f, "{}` is already routed", self.path),
            Some(with) => write!(
                f,
                "{}` conflicts with the route `{with}`: axum cannot tell the two paths apart",
                self.path
            ),
        }
    }
}

impl std::error::Error for RouteConflict {}

/// The routes mounted so far, as (path template, methods).
#[derive(Clone, Debug, Default)]
pub(crate) struct RouteTable {
    routes: Vec<(String, Vec<Method>)>,
    /// The same matcher axum inserts each new path into, to find templates it would refuse.
    matcher: matchit::Router<usize>,
}

impl RouteTable {
    /// Adds `methods` on `path`, or says why axum would panic doing so; on error the table is
    /// unchanged.
    pub(crate) fn add(&mut self, path: &str, methods: &[Method]) -> Result<(), RouteConflict> {
        if let Some((_, mounted)) = self.routes.iter_mut().find(|(p, _)| p == path) {
            let twice: Vec<Method> = methods
                .iter()
                .filter(|m| mounted.contains(m))
                .cloned()
                .collect();
            if !twice.is_empty() {
                return Err(RouteConflict {
                    methods: twice,
                    path: path.to_owned(),
                    with: None,
                });
            }
            mounted.extend(methods.iter().cloned());
            return Ok(());
        }
        match self.matcher.insert(path, self.routes.len()) {
            Ok(()) => {
                self.routes.push((path.to_owned(), methods.to_vec()));
                Ok(())
            }
            Err(matchit::InsertError::Conflict { with }) => Err(RouteConflict {
                methods: methods.to_vec(),
                path: path.to_owned(),
                with: Some(with),
            }),
            // Not a conflict (an invalid template, which `#[route]` rejects at compile time):
            // left to axum, which reports it.
            Err(_) => Ok(()),
        }
    }

    /// Adds every route of `other`, each path under `prefix` as `Router::nest` places it; all or
    /// nothing.
    pub(crate) fn add_all(
        &mut self,
        prefix: Option<&str>,
        other: &RouteTable,
    ) -> Result<(), RouteConflict> {
        let mut table = self.clone();
        for (path, methods) in &other.routes {
            match prefix {
                Some(prefix) => table.add(&nested_path(prefix, path), methods)?,
                None => table.add(path, methods)?,
            }
        }
        *self = table;
        Ok(())
    }
}

/// Where `Router::nest(prefix, ..)` mounts a nested route at `path` (axum's
/// `path_for_nested_route`).
pub(crate) fn nested_path(prefix: &str, path: &str) -> String {
    if prefix.ends_with('/') {
        format!("{prefix}{}", path.trim_start_matches('/'))
    } else if path == "/" {
        prefix.to_owned()
    } else {
        format!("{prefix}{path}")
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::RouteTable;

    #[test]
    fn other_methods_on_the_same_path_are_fine() {
        let mut table = RouteTable::default();
        table.add("/a", &[Method::GET]).expect("first");
        table.add("/a", &[Method::POST]).expect("other method");
        let err = table
            .add("/a", &[Method::PUT, Method::POST])
            .expect_err("POST twice");
        assert_eq!(err.to_string(), "`POST /a` is already routed");
    }

    #[test]
    fn templates_the_matcher_cannot_tell_apart_conflict() {
        let mut table = RouteTable::default();
        table.add("/books/{id}", &[Method::GET]).expect("first");
        let err = table
            .add("/books/{name}", &[Method::POST])
            .expect_err("same shape, other name");
        assert_eq!(err.conflicts_with(), Some("/books/{id}"));
        table
            .add("/books/new", &[Method::GET])
            .expect("static beside a parameter");
    }

    #[test]
    fn nested_routes_are_checked_under_their_prefix() {
        let mut inner = RouteTable::default();
        inner.add("/", &[Method::GET]).expect("root");
        inner.add("/b", &[Method::GET]).expect("b");
        let mut outer = RouteTable::default();
        outer.add("/api/b", &[Method::POST]).expect("other method");
        outer.add_all(Some("/api"), &inner).expect("no overlap");
        let err = outer.add_all(Some("/api"), &inner).expect_err("twice");
        assert_eq!(err.path(), "/api");
        // All or nothing: the failed nest added nothing.
        assert_eq!(outer.routes.len(), 2);
    }
}
