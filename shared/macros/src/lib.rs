//! `#[derive(Params)]`: one struct declares a method's parameters, their BoxBilling
//! required-parameter texts, aliases and documentation; the derive produces the parser the
//! pipeline runs and the description the OpenAPI document is generated from.
//!
//! ```ignore
//! #[derive(Params)]
//! struct ChangePassword {
//!     /// The new password.
//!     #[param(required = "Password required", alias = "new_password")]
//!     password: String,
//!     current_password: Option<String>,
//! }
//! ```

mod answer;

use proc_macro::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Expr, ExprLit, Fields, Lit, Meta, parse_macro_input};

/// `#[derive(Answer)]`: the JSON Schema of a serialised answer struct (see `answer.rs`).
#[proc_macro_derive(Answer)]
pub fn derive_answer(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match answer::expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[proc_macro_derive(Params, attributes(param))]
pub fn derive_params(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

struct FieldSpec {
    ident: syn::Ident,
    ty: syn::Type,
    name: String,
    aliases: Vec<String>,
    required: Option<String>,
    doc: String,
    /// A nested params struct whose fields sit at the same level.
    flatten: bool,
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "Params needs a struct"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(input, "Params needs named fields"));
    };
    let mut specs = Vec::new();
    for field in &fields.named {
        let ident = field
            .ident
            .clone()
            .ok_or_else(|| syn::Error::new_spanned(field, "unnamed field"))?;
        let mut spec = FieldSpec {
            name: ident.to_string(),
            ident,
            ty: field.ty.clone(),
            aliases: Vec::new(),
            required: None,
            doc: String::new(),
            flatten: false,
        };
        for attr in &field.attrs {
            if attr.path().is_ident("doc") {
                if let Meta::NameValue(nv) = &attr.meta
                    && let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = &nv.value
                {
                    if !spec.doc.is_empty() {
                        spec.doc.push(' ');
                    }
                    spec.doc.push_str(s.value().trim());
                }
                continue;
            }
            if !attr.path().is_ident("param") {
                continue;
            }
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("flatten") {
                    spec.flatten = true;
                    return Ok(());
                }
                let value: syn::LitStr = meta.value()?.parse()?;
                if meta.path.is_ident("required") {
                    spec.required = Some(value.value());
                } else if meta.path.is_ident("rename") {
                    spec.name = value.value();
                } else if meta.path.is_ident("alias") {
                    spec.aliases.push(value.value());
                } else {
                    return Err(meta.error("expected required, rename, alias or flatten"));
                }
                Ok(())
            })?;
        }
        specs.push(spec);
    }

    let (nested, specs): (Vec<FieldSpec>, Vec<FieldSpec>) = specs.into_iter().partition(|s| s.flatten);
    let nested_conversions = nested.iter().map(|s| {
        let ident = &s.ident;
        let ty = &s.ty;
        quote! { #ident: <#ty as ::bb_core::params::Params>::from_params(params)?, }
    });
    let nested_infos = nested.iter().map(|s| {
        let ty = &s.ty;
        quote! { infos.extend(<#ty as ::bb_core::params::Params>::describe()); }
    });
    let lookups = specs.iter().map(|s| {
        let var = quote::format_ident!("__{}", s.ident);
        let name = &s.name;
        let aliases = &s.aliases;
        quote! {
            let #var = params.get(#name) #( .or_else(|| params.get(#aliases)) )*;
        }
    });
    let required_checks = specs.iter().filter_map(|s| {
        let var = quote::format_ident!("__{}", s.ident);
        s.required.as_ref().map(|msg| {
            quote! {
                if ::bb_core::params::is_missing(#var) {
                    return Err(::bb_core::error::ApiError::new(#msg));
                }
            }
        })
    });
    let conversions = specs.iter().map(|s| {
        let var = quote::format_ident!("__{}", s.ident);
        let ident = &s.ident;
        let ty = &s.ty;
        let name = &s.name;
        quote! {
            #ident: <#ty as ::bb_core::params::FromParam>::from_param(#name, #var)?,
        }
    });
    let infos = specs.iter().map(|s| {
        let ty = &s.ty;
        let name = &s.name;
        let doc = &s.doc;
        let required = s.required.is_some();
        let aliases = &s.aliases;
        quote! {
            ::bb_core::params::ParamInfo {
                name: #name,
                ty: <#ty as ::bb_core::params::FromParam>::param_type(),
                required: #required,
                doc: #doc,
                aliases: &[#(#aliases),*],
            }
        }
    });

    let ident = &input.ident;
    Ok(quote! {
        impl ::bb_core::params::Params for #ident {
            fn from_params(
                params: &::bb_core::params::ParamMap,
            ) -> ::std::result::Result<Self, ::bb_core::error::ApiError> {
                #(#lookups)*
                #(#required_checks)*
                Ok(Self { #(#conversions)* #(#nested_conversions)* })
            }

            fn describe() -> ::std::vec::Vec<::bb_core::params::ParamInfo> {
                #[allow(unused_mut)]
                let mut infos = vec![#(#infos),*];
                #(#nested_infos)*
                infos
            }
        }
    })
}
