//! `#[derive(Answer)]`: a struct that a method answers (serialised by serde) also gives the
//! JSON Schema of what it serialises to, field by field, for the OpenAPI document. serde's
//! `rename` and `skip` are followed; every other field is always present, so all are required
//! and no other key is allowed.

use quote::quote;
use syn::{Data, DeriveInput, Fields, Meta};

/// What `#[serde(...)]` on a field says about its JSON key.
#[derive(Default)]
struct SerdeField {
    rename: Option<String>,
    skip: bool,
    optional: bool,
}

fn serde_field(field: &syn::Field) -> syn::Result<SerdeField> {
    let mut out = SerdeField::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                out.rename = Some(value.value());
            } else if meta.path.is_ident("skip") || meta.path.is_ident("skip_serializing") {
                out.skip = true;
            } else if meta.path.is_ident("skip_serializing_if") {
                let _: syn::LitStr = meta.value()?.parse()?;
                out.optional = true;
            } else if meta.path.is_ident("flatten") {
                return Err(meta.error("Answer does not follow #[serde(flatten)]"));
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        })?;
    }
    Ok(out)
}

fn doc_of(field: &syn::Field) -> String {
    let mut lines = Vec::new();
    for attr in &field.attrs {
        if let Meta::NameValue(nv) = &attr.meta
            && nv.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s), ..
            }) = &nv.value
        {
            lines.push(s.value().trim().to_string());
        }
    }
    lines.join(" ")
}

pub fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "Answer needs a struct"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(input, "Answer needs named fields"));
    };
    let mut inserts = Vec::new();
    let mut required = Vec::new();
    for field in &fields.named {
        let serde = serde_field(field)?;
        if serde.skip {
            continue;
        }
        let ident = field
            .ident
            .as_ref()
            .ok_or_else(|| syn::Error::new_spanned(field, "unnamed field"))?;
        let name = serde
            .rename
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_string());
        let ty = &field.ty;
        let doc = doc_of(field);
        inserts.push(quote! {
            let mut schema = <#ty as ::bb_ports::answer::Answer>::schema();
            if !#doc.is_empty()
                && let ::serde_json::Value::Object(m) = &mut schema
            {
                m.insert("description".into(), #doc.into());
            }
            properties.insert(#name.into(), schema);
        });
        if !serde.optional {
            required.push(name);
        }
    }
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::bb_ports::answer::Answer for #ident #ty_generics #where_clause {
            fn schema() -> ::serde_json::Value {
                let mut properties = ::serde_json::Map::new();
                #(#inserts)*
                ::serde_json::json!({
                    "type": "object",
                    "additionalProperties": false,
                    "required": [#(#required),*],
                    "properties": properties,
                })
            }
        }
    })
}
