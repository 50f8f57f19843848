//! Semantic checks of `#[route]`: known, distinct methods; a valid path template; a handler axum
//! can call (`async`, not generic, no `self`, at most 16 arguments).
use syn::{FnArg, Ident, ItemFn, LitStr, Type};

use super::parse::RouteAttr;
use crate::util::{errors::Errors, template};

/// The methods `#[route]` accepts, as axum's `MethodFilter` constants.
pub(crate) const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// A checked `#[route]` attribute.
pub(crate) struct Route {
    /// Known, distinct methods (each is a `MethodFilter` constant name).
    pub(crate) methods: Vec<Ident>,
    /// The checked template.
    pub(crate) path: LitStr,
}

/// A checked handler: the argument types, in order.
pub(crate) struct Handler {
    pub(crate) arg_types: Vec<Type>,
}

/// Checks the methods and the path template.
pub(crate) fn route(attr: RouteAttr, errors: &mut Errors) -> Route {
    let mut methods: Vec<Ident> = Vec::new();
    for method in attr.methods {
        let name = method.to_string();
        if !METHODS.contains(&name.as_str()) {
            let upper = name.to_ascii_uppercase();
            let message = if METHODS.contains(&upper.as_str()) {
                format!("unknown method `{name}`; methods are uppercase: `{upper}`")
            } else {
                format!(
                    "unknown method `{name}`; expected one of `GET`, `POST`, `PUT`, `DELETE`, \
                     `PATCH`, `HEAD`, `OPTIONS`, `TRACE`, `CONNECT`"
                )
            };
            errors.error_at(method.span(), message);
        } else if methods.contains(&method) {
            errors.error_at(
                method.span(),
                format!("method `{name}` is listed more than once"),
            );
        } else {
            methods.push(method);
        }
    }
    template::check_route(&attr.path, errors);
    Route {
        methods,
        path: attr.path,
    }
}

/// Checks that axum can call `item` as a handler.
pub(crate) fn handler(item: &ItemFn, errors: &mut Errors) -> Handler {
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        errors.error_at(sig.fn_token.span, "`#[route]` handlers must be `async fn`");
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.error_at(unsafety.span, "`#[route]` handlers cannot be `unsafe`");
    }
    if !sig.generics.params.is_empty() {
        errors.error_spanned(
            &sig.generics,
            "`#[route]` handlers cannot be generic; axum needs one concrete handler type",
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.error_spanned(
            where_clause,
            "`#[route]` handlers cannot have a `where` clause",
        );
    }
    let mut arg_types = Vec::new();
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(receiver) => errors.error_spanned(
                receiver,
                "`#[route]` handlers cannot take `self`; write a free `async fn`",
            ),
            FnArg::Typed(pat) => {
                if let Type::ImplTrait(ty) = &*pat.ty {
                    errors.error_spanned(
                        ty,
                        "`impl Trait` arguments make a `#[route]` handler generic; name a concrete extractor type",
                    );
                }
                arg_types.push((*pat.ty).clone());
            }
        }
    }
    if arg_types.len() > 16 {
        errors.error_spanned(
            &sig.inputs,
            "axum handlers take at most 16 arguments; group some into a struct extractor",
        );
    }
    Handler { arg_types }
}
