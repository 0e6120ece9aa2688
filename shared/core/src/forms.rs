//! Request forms several modules share, parsed at the edge into the domain's records.

use crate::params::{Params, Patch};
use bb_domain::client::ClientRecord;
use bb_ports::clock;
use bb_ports::error::{ApiError, ApiResult};

/// Profile fields a client sets at sign-up and changes with `profile/update`. Omitted fields
/// stay as they are; an empty value clears a field.
#[derive(Params, Debug, Clone, Default)]
pub struct ProfileFields {
    pub last_name: Patch<String>,
    /// Free text, usually `male` or `female`.
    pub gender: Patch<String>,
    /// `YYYY-MM-DD`.
    pub birthday: Patch<String>,
    pub company: Patch<String>,
    pub company_vat: Patch<String>,
    pub company_number: Patch<String>,
    /// Free text, usually `individual` or `company`.
    #[param(rename = "type")]
    pub client_type: Patch<String>,
    pub address_1: Patch<String>,
    pub address_2: Patch<String>,
    pub city: Patch<String>,
    pub state: Patch<String>,
    pub postcode: Patch<String>,
    /// Country code, e.g. `US`.
    pub country: Patch<String>,
    pub phone_cc: Patch<String>,
    pub phone: Patch<String>,
    pub document_type: Patch<String>,
    pub document_nr: Patch<String>,
    /// Interface language, e.g. `en_US`.
    pub lang: Patch<String>,
    pub notes: Patch<String>,
    pub custom_1: Patch<String>,
    pub custom_2: Patch<String>,
    pub custom_3: Patch<String>,
    pub custom_4: Patch<String>,
    pub custom_5: Patch<String>,
    pub custom_6: Patch<String>,
    pub custom_7: Patch<String>,
    pub custom_8: Patch<String>,
    pub custom_9: Patch<String>,
    pub custom_10: Patch<String>,
}

const TEXT_MAX: usize = 255;

fn patch_text(field: &str, patch: &Patch<String>, slot: &mut Option<String>, max: usize) -> ApiResult<()> {
    match patch {
        Patch::Keep => {}
        Patch::Clear => *slot = None,
        Patch::Set(v) => {
            bb_domain::validate::max_len(field, v, max)?;
            *slot = Some(v.clone());
        }
    }
    Ok(())
}

impl ProfileFields {
    /// Applies the given fields to a record, checking each value.
    pub fn apply(&self, c: &mut ClientRecord) -> ApiResult<()> {
        match &self.birthday {
            Patch::Keep => {}
            Patch::Clear => c.birthday = None,
            Patch::Set(text) => {
                let date = clock::parse_date(text).ok_or_else(|| ApiError::new("Invalid birth date value"))?;
                c.birthday = Some(clock::format_date(date));
            }
        }
        patch_text("Last name", &self.last_name, &mut c.last_name, TEXT_MAX)?;
        patch_text("Gender", &self.gender, &mut c.gender, 32)?;
        patch_text("Company", &self.company, &mut c.company, TEXT_MAX)?;
        patch_text("Company VAT", &self.company_vat, &mut c.company_vat, 64)?;
        patch_text("Company number", &self.company_number, &mut c.company_number, 64)?;
        patch_text("Type", &self.client_type, &mut c.client_type, 32)?;
        patch_text("Address", &self.address_1, &mut c.address_1, TEXT_MAX)?;
        patch_text("Address", &self.address_2, &mut c.address_2, TEXT_MAX)?;
        patch_text("City", &self.city, &mut c.city, TEXT_MAX)?;
        patch_text("State", &self.state, &mut c.state, TEXT_MAX)?;
        patch_text("Postcode", &self.postcode, &mut c.postcode, 32)?;
        patch_text("Country", &self.country, &mut c.country, 64)?;
        patch_text("Phone country code", &self.phone_cc, &mut c.phone_cc, 8)?;
        patch_text("Phone", &self.phone, &mut c.phone, 64)?;
        patch_text("Document type", &self.document_type, &mut c.document_type, 64)?;
        patch_text("Document number", &self.document_nr, &mut c.document_nr, 64)?;
        patch_text("Language", &self.lang, &mut c.lang, 16)?;
        patch_text("Notes", &self.notes, &mut c.notes, 10_000)?;
        let customs = [
            &self.custom_1,
            &self.custom_2,
            &self.custom_3,
            &self.custom_4,
            &self.custom_5,
            &self.custom_6,
            &self.custom_7,
            &self.custom_8,
            &self.custom_9,
            &self.custom_10,
        ];
        for (n, patch) in customs.into_iter().enumerate() {
            let name = format!("custom_{}", n + 1);
            let mut slot = c.custom.get(&name).cloned();
            patch_text(&format!("Custom field {}", n + 1), patch, &mut slot, 2_000)?;
            match slot {
                Some(v) => c.custom.insert(name, v),
                None => c.custom.remove(&name),
            };
        }
        Ok(())
    }
}
