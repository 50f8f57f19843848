//! Code generation for `#[route]`: the function as written, a braced struct of the same name (type
//! namespace only, as Rocket does) and its `Route<S, M>` impl.
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{spanned::Spanned, Ident, ItemFn};

use super::validate::{Handler, Route};
use crate::util::krate;

/// The function, its proxy struct and the `Route` impl.
pub(crate) fn route(item: &ItemFn, handler: &Handler, route: &Route) -> TokenStream {
    let private = krate::private();
    let name = &item.sig.ident;
    let state = Ident::new("__OxtorS", Span::call_site());
    let via = Ident::new("__OxtorM", Span::call_site());
    let path = &route.path;

    let mut filters = route
        .methods
        .iter()
        .map(|method| quote_spanned!(method.span()=> #private::MethodFilter::#method));
    let first = filters.next();
    let filter = quote!(#first #(.or(#filters))*);
    let methods = route
        .methods
        .iter()
        .map(|method| quote_spanned!(method.span()=> #private::Method::#method));

    let (impl_generics, marker, bounds) = match handler.arg_types.split_last() {
        None => (quote!(<#state>), quote!(()), TokenStream::new()),
        Some((last, parts)) => {
            let parts = parts.iter().map(|ty| {
                quote_spanned!(ty.span()=>
                    #ty: #private::FromRequestParts<#state> + ::core::marker::Send,
                )
            });
            let last = quote_spanned!(last.span()=>
                #last: #private::FromRequest<#state, #via> + ::core::marker::Send,
            );
            (
                quote!(<#state, #via>),
                quote!(#via),
                quote!(#via: 'static, #(#parts)* #last),
            )
        }
    };
    let proxy = proxy_struct(item);
    let method_router = quote_spanned!(name.span()=> #private::on(#filter, #name));
    let guards = Ident::new("__oxtor_guards", Span::mixed_site());
    let guarded = quote_spanned!(name.span()=>
        #private::on(#filter, #private::RouteGuards::handler(#guards, #name))
    );

    // A path without parameters is served without axum's routing when nothing wraps the route.
    // A handler without arguments cannot see the request: it is given nothing of routing's.
    let constructor = match handler.arg_types.is_empty() {
        true => quote!(without_arguments),
        false => quote!(new),
    };
    let direct = (!route.path.value().contains(['{', '}'])).then(|| {
        quote_spanned!(name.span()=>
            fn direct_handler(&self) -> ::core::option::Option<#private::DirectHandler<#state>> {
                ::core::option::Option::Some(#private::DirectHandler::#constructor(
                    <Self as #private::Route<#state, #marker>>::METHODS,
                    #name,
                ))
            }
        )
    });

    quote! {
        #item

        #proxy

        #[automatically_derived]
        impl #impl_generics #private::Route<#state, #marker> for #name
        where
            #state: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static,
            #bounds
        {
            const PATH: &'static str = #path;
            const METHODS: &'static [#private::Method] = &[#(#methods),*];

            fn method_router(self) -> #private::MethodRouter<#state> {
                #method_router
            }

            fn guarded_method_router(
                self,
                #guards: #private::RouteGuards,
            ) -> #private::MethodRouter<#state> {
                #guarded
            }

            #direct
        }
    }
}

/// The proxy struct and a `Route` impl serving nothing, emitted next to an error so that uses of
/// the route elsewhere compile.
pub(crate) fn stub(item: &ItemFn) -> TokenStream {
    let private = krate::private();
    let name = &item.sig.ident;
    let state = Ident::new("__OxtorS", Span::call_site());
    let proxy = proxy_struct(item);
    quote! {
        #proxy

        #[automatically_derived]
        impl<#state> #private::Route<#state, ()> for #name
        where
            #state: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static,
        {
            const PATH: &'static str = "/";
            const METHODS: &'static [#private::Method] = &[];

            fn method_router(self) -> #private::MethodRouter<#state> {
                #private::MethodRouter::new()
            }
        }
    }
}

fn proxy_struct(item: &ItemFn) -> TokenStream {
    let vis = &item.vis;
    let name = &item.sig.ident;
    let doc = format!("The route served by `{name}()`, made by `#[route]`.");
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(nonstandard_style)]
        #vis struct #name {}
    }
}

#[cfg(test)]
mod tests {
    fn expand(attr: &str, item: &str) -> String {
        let attr = attr.parse().expect("attr lexes");
        let item = item.parse().expect("item lexes");
        match super::super::expand(attr, item) {
            Ok(out) => out.to_string(),
            Err(e) => e
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    #[test]
    fn handler_without_arguments_is_a_route_for_unit_marker() {
        let out = expand(r#"GET, "/""#, "async fn index() {}");
        assert!(
            out.contains(
                "impl < __OxtorS > :: oxtor :: __private :: Route < __OxtorS , () > for index"
            ),
            "{out}"
        );
        assert!(out.contains("struct index { }"), "{out}");
    }

    #[test]
    fn last_argument_is_bound_by_from_request_and_the_others_by_parts() {
        let out = expand(
            r#"POST | PUT, "/b/{id}""#,
            "pub async fn b(Path(id): Path<u32>, body: String) {}",
        );
        assert!(
            out.contains("Path < u32 > : :: oxtor :: __private :: FromRequestParts < __OxtorS >"),
            "{out}"
        );
        assert!(
            out.contains("String : :: oxtor :: __private :: FromRequest < __OxtorS , __OxtorM >"),
            "{out}"
        );
        assert!(
            out.contains(
                "MethodFilter :: POST . or (:: oxtor :: __private :: MethodFilter :: PUT)"
            ),
            "{out}"
        );
        assert!(out.contains("pub struct b { }"), "{out}");
    }

    #[test]
    fn a_static_path_gets_a_direct_handler_and_a_templated_one_does_not() {
        let out = expand(r#"GET, "/books""#, "async fn books() {}");
        assert!(out.contains("fn direct_handler"), "{out}");
        let out = expand(r#"GET, "/books/{id}""#, "async fn book() {}");
        assert!(!out.contains("fn direct_handler"), "{out}");
    }

    #[test]
    fn a_handler_without_arguments_is_called_without_routings_extensions() {
        let out = expand(r#"GET, "/books""#, "async fn books() {}");
        assert!(out.contains("DirectHandler :: without_arguments"), "{out}");
        let out = expand(r#"GET, "/books""#, "async fn books(body: String) {}");
        assert!(out.contains("DirectHandler :: new"), "{out}");
    }

    #[test]
    fn errors_are_reported_together() {
        let out = expand(r#"FETCH, "b""#, "fn b() {}");
        let messages: Vec<_> = out.lines().collect();
        assert_eq!(messages.len(), 3, "{out}");
        assert!(messages[0].starts_with("unknown method `FETCH`"), "{out}");
        assert_eq!(messages[1], "route paths must start with `/`");
        assert_eq!(messages[2], "`#[route]` handlers must be `async fn`");
    }
}
