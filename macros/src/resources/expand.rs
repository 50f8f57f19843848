//! Writes the `Resources` constant: per file its path, `include_bytes!` of the file (which also
//! makes cargo rebuild when it changes), the precompressed variants as byte strings, and its
//! validators.
use proc_macro2::TokenStream;
use quote::quote;
use syn::LitByteStr;

use super::collect::Folder;
use crate::util::krate;

pub(crate) fn expand(folder: &Folder) -> TokenStream {
    let private = krate::private();
    let span = folder.span;
    let root = folder.root.display().to_string();
    let files = folder.files.iter().map(|file| {
        let path = &file.path;
        let absolute = file.absolute.display().to_string();
        let variant = |bytes: &Option<Vec<u8>>| match bytes {
            Some(bytes) => {
                let lit = LitByteStr::new(bytes, span);
                quote!(::core::option::Option::Some(#lit))
            }
            None => quote!(::core::option::Option::None),
        };
        let zstd = variant(&file.zstd);
        let br = variant(&file.br);
        let etag = format!("\"{}\"", file.hash);
        let etag_zstd = format!("\"{}-zstd\"", file.hash);
        let etag_br = format!("\"{}-br\"", file.hash);
        let modified = file.modified;
        quote! {
            #private::resources::EmbeddedFile::__new(
                #path,
                ::core::include_bytes!(#absolute),
                #zstd,
                #br,
                #etag,
                #etag_zstd,
                #etag_br,
                #modified,
            )
        }
    });
    quote!(#private::resources::Resources::__new(#root, &[#(#files),*]))
}
