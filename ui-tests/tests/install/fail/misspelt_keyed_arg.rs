/// A keyed argument is a setter on what the entry's method returns: a misspelt key is rustc's
/// "no method named" at the user's token.
pub struct Client;

#[derive(Default)]
pub struct Config {
    blocks: usize,
}

pub struct Installed<'a> {
    config: &'a mut Config,
}

#[derive(Default)]
pub struct Defaults;

impl Client {
    pub fn configure(f: impl FnOnce(&mut Config)) -> Config {
        let mut cfg = Config::default();
        f(&mut cfg);
        cfg
    }
}

impl Config {
    pub fn default_request(&mut self, f: impl Fn(&mut Defaults)) -> Installed<'_> {
        f(&mut Defaults);
        self.blocks += 1;
        Installed { config: self }
    }
}

impl Installed<'_> {
    pub fn replace(self, replace: bool) {
        if replace {
            self.config.blocks = 1;
        }
    }
}

impl Defaults {
    pub fn url(&mut self, _url: &str) {}
}

fn main() {
    let _ = oxtor::install!(Client { default_request(replcae = true) { url("http://api/") } });
}
