//! Bounded, printable text fields (card numbers, departments, order ids, names).

use crate::DomainError;

/// Trims `value` and checks that it is non-empty, at most `max_chars` long and free of control
/// characters. `field` names the input in the error.
pub fn bounded(field: &'static str, value: &str, max_chars: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::InvalidText {
            field,
            reason: "must not be empty",
        });
    }
    if trimmed.chars().count() > max_chars {
        return Err(DomainError::InvalidText {
            field,
            reason: "is too long",
        });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::InvalidText {
            field,
            reason: "must not contain control characters",
        });
    }
    if trimmed.chars().any(invisible) {
        return Err(DomainError::InvalidText {
            field,
            reason: "must not contain invisible, format or direction-changing characters",
        });
    }
    Ok(trimmed.to_owned())
}

/// Characters that print as nothing, join or reorder what surrounds them, or fill a space
/// invisibly (Unicode's format characters, bidirectional controls, variation selectors, tags,
/// fillers): refused in every text field, so that no two different texts print alike.
#[must_use]
pub fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{0600}'..='\u{0605}' | '\u{06DD}'
        | '\u{070F}' | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Full-width ASCII (ＣＡＲＤ－０００１, typed with a Chinese input method) as ASCII, and the
/// ideographic space as a space.
#[must_use]
pub fn fold_width(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

/// A printed identifier (an order id, an item code, a department, a window): bounded, free of
/// invisible characters, with full-width ASCII folded, so that what prints alike is alike.
pub fn identifier(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, DomainError> {
    bounded(field, &fold_width(value), max_chars)
}

/// An identity (a card number, a staff number): an identifier in upper case, so that one printed
/// number is one card or one person (`card-0001`, `CARD-0001` and `ＣＡＲＤ－０００１` are one card).
pub fn identity(field: &'static str, value: &str) -> Result<String, DomainError> {
    Ok(identifier(field, value, MAX_ID_CHARS)?.to_uppercase())
}

/// Longest identifier (card number, patient id, order id, item code, staff number).
pub const MAX_ID_CHARS: usize = 64;
/// Longest name (staff name, item name, department, window).
pub const MAX_NAME_CHARS: usize = 128;
