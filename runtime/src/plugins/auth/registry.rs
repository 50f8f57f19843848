//! Provider names and the registry the `Authentication` plugin fills: [`ProviderName`] (a name,
//! or the unnamed default), [`ProviderNames`] (what `authenticate(..)` accepts),
//! [`ProviderRegistry`] and [`UnknownProvider`].
use std::{fmt, sync::Arc};

use super::AuthenticationProvider;

/// A provider's name; [`ProviderName::DEFAULT`] (Ktor's `null` name) is the provider registered
/// without one, used by `authenticate(None) { .. }`.
///
/// ```
/// use oxtor_runtime::plugins::auth::ProviderName;
///
/// assert_eq!(ProviderName::from("key").to_string(), "\"key\"");
/// assert_eq!(ProviderName::DEFAULT.to_string(), "the default provider");
/// assert_eq!(ProviderName::from(None::<&str>), ProviderName::DEFAULT);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderName(Option<Arc<str>>);

impl ProviderName {
    /// The unnamed (default) provider.
    pub const DEFAULT: Self = Self(None);

    /// The name, `None` for the default provider.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(name) => write!(f, "{name:?}"),
            None => f.write_str("the default provider"),
        }
    }
}

impl From<&str> for ProviderName {
    fn from(name: &str) -> Self {
        Self(Some(name.into()))
    }
}

impl From<String> for ProviderName {
    fn from(name: String) -> Self {
        Self(Some(name.into()))
    }
}

impl From<&String> for ProviderName {
    fn from(name: &String) -> Self {
        Self(Some(name.as_str().into()))
    }
}

impl From<Option<&str>> for ProviderName {
    fn from(name: Option<&str>) -> Self {
        Self(name.map(Into::into))
    }
}

/// The provider names an `authenticate(..)` block takes: one name, a tuple of up to 8, an array
/// or a `Vec`; `None` (or `()`) for the default (unnamed) provider.
#[diagnostic::on_unimplemented(
    message = "authenticate(..) takes provider names (string literals), not `{Self}`",
    label = "not a provider name",
    note = "write `authenticate(\"name\") {{ .. }}` or `authenticate(\"a\", \"b\", optional = true) {{ .. }}`"
)]
pub trait ProviderNames {
    /// The names, in order.
    fn into_names(self) -> Vec<ProviderName>;
}

impl ProviderNames for () {
    fn into_names(self) -> Vec<ProviderName> {
        vec![ProviderName::DEFAULT]
    }
}

impl ProviderNames for &str {
    fn into_names(self) -> Vec<ProviderName> {
        vec![self.into()]
    }
}

impl ProviderNames for String {
    fn into_names(self) -> Vec<ProviderName> {
        vec![self.into()]
    }
}

/// `None` is the default provider: `authenticate(None) { .. }` (Ktor's `authenticate { .. }`).
impl ProviderNames for Option<&str> {
    fn into_names(self) -> Vec<ProviderName> {
        vec![self.into()]
    }
}

impl ProviderNames for ProviderName {
    fn into_names(self) -> Vec<ProviderName> {
        vec![self]
    }
}

impl<T: Into<ProviderName>, const N: usize> ProviderNames for [T; N] {
    fn into_names(self) -> Vec<ProviderName> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<T: Into<ProviderName>> ProviderNames for Vec<T> {
    fn into_names(self) -> Vec<ProviderName> {
        self.into_iter().map(Into::into).collect()
    }
}

macro_rules! tuple_names {
    ($($t:ident $v:ident),+) => {
        impl<$($t: Into<ProviderName>),+> ProviderNames for ($($t,)+) {
            fn into_names(self) -> Vec<ProviderName> {
                let ($($v,)+) = self;
                vec![$($v.into()),+]
            }
        }
    };
}
tuple_names!(A a);
tuple_names!(A a, B b);
tuple_names!(A a, B b, C c);
tuple_names!(A a, B b, C c, D d);
tuple_names!(A a, B b, C c, D d, E e);
tuple_names!(A a, B b, C c, D d, E e, F f);
tuple_names!(A a, B b, C c, D d, E e, F f, G g);
tuple_names!(A a, B b, C c, D d, E e, F f, G g, H h);

/// The providers an `Authentication` plugin registered, by name, in registration order. The
/// plugin stores it in [`Application::extensions`](crate::Application) when installed.
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    providers: Vec<(ProviderName, Arc<dyn AuthenticationProvider>)>,
}

impl fmt::Debug for ProviderRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.providers.iter().map(|(n, _)| n))
            .finish()
    }
}

impl ProviderRegistry {
    pub(crate) fn contains(&self, name: &ProviderName) -> bool {
        self.providers.iter().any(|(n, _)| n == name)
    }

    pub(crate) fn insert(&mut self, name: ProviderName, provider: Arc<dyn AuthenticationProvider>) {
        self.providers.push((name, provider));
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &ProviderName> {
        self.providers.iter().map(|(n, _)| n)
    }

    /// The provider `name`, or the error an `authenticate(requested..)` block reports.
    pub fn get(
        &self,
        name: &ProviderName,
        requested: &[ProviderName],
    ) -> Result<Arc<dyn AuthenticationProvider>, UnknownProvider> {
        self.providers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| UnknownProvider {
                requested: requested.to_vec(),
                missing: name.clone(),
                installed: self.names().cloned().collect(),
            })
    }
}

/// An `authenticate(..)` block names a provider that is not registered: a start-up error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProvider {
    /// Every name the block gave.
    pub requested: Vec<ProviderName>,
    /// The first name not registered.
    pub missing: ProviderName,
    /// The names that are registered.
    pub installed: Vec<ProviderName>,
}

impl fmt::Display for UnknownProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |names: &[ProviderName], default: &str| {
            names
                .iter()
                .map(|n| match n.as_str() {
                    Some(s) => format!("{s:?}"),
                    None => default.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "authenticate({}): ", list(&self.requested, "None"))?;
        match self.missing.as_str() {
            Some(name) => write!(f, "no authentication provider `{name}` is installed")?,
            None => f.write_str("no default (unnamed) authentication provider is installed")?,
        }
        if self.installed.is_empty() {
            f.write_str(" (no providers are installed)")
        } else {
            write!(
                f,
                " (installed: {})",
                list(&self.installed, "the default provider")
            )
        }
    }
}

impl std::error::Error for UnknownProvider {}
