//! Where each parameter of a burn module sits: the one visitor and the one mapper that
//! keep track of the path, for everything that names parameters (saved weights, the
//! optimizer's state and its weight-decay exemptions, gradients).

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::Tensor;

/// The modules around a parameter, outermost first: each one's name in its parent and
/// its container type (`Struct:Embedding`, `Enum:CollabModel`, `Vec`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamPath {
    parts: Vec<(String, String)>,
}

impl ParamPath {
    /// The path as saved files and snapshots name a tensor: `user_factors.weight`. The
    /// variant of an enum such as `CollabModel` adds nothing, so that a path reads the
    /// same whichever model holds it.
    pub fn dotted(&self) -> String {
        let names = self.parts.iter().filter(|(_, container)| !container.starts_with("Enum:"));
        names.map(|(name, _)| name.as_str()).filter(|n| !n.is_empty()).collect::<Vec<_>>().join(".")
    }

    /// fastai's exemption from weight decay (`wd_bn_bias=False`): linear layers' `.bias`
    /// and everything in a batch norm. The bias *embeddings* of DotProductBias
    /// (`user_bias.weight`) do decay.
    pub fn decay_exempt(&self) -> bool {
        let last_is_bias =
            self.parts.last().is_some_and(|(name, container)| name == "bias" && !container.starts_with("Enum:"));
        let in_norm = self.parts.iter().any(|(_, container)| container.contains("BatchNorm"));
        last_is_bias || in_norm
    }
}

/// What to do with each float parameter of a module, knowing its path ([`visit`]).
pub trait AtPath {
    /// Called once per float parameter (and batch norm's running statistics), in the
    /// module's order.
    fn float<const D: usize>(&mut self, path: &ParamPath, param: &Param<Tensor<D>>);
}

/// What to make of each float parameter of a module, knowing its path ([`map`]).
pub trait MapAtPath {
    /// Called once per float parameter, in the module's order; returns its replacement.
    fn float<const D: usize>(&mut self, path: &ParamPath, param: Param<Tensor<D>>) -> Param<Tensor<D>>;
}

/// Calls `at` with every float parameter of `module` and its path.
pub fn visit<M: Module, A: AtPath>(module: &M, at: &mut A) {
    module.visit(&mut Walk { path: ParamPath::default(), inner: at });
}

/// Rebuilds `module` with every float parameter replaced by what `at` makes of it.
pub fn map<M: Module, A: MapAtPath>(module: M, at: &mut A) -> M {
    module.map(&mut Walk { path: ParamPath::default(), inner: at })
}

/// burn's visitor and mapper with the path kept: the only place that follows
/// `enter_module` and `exit_module`.
struct Walk<'a, T> {
    path: ParamPath,
    inner: &'a mut T,
}

impl<T> Walk<'_, T> {
    fn enter(&mut self, name: &str, container_type: &str) {
        self.path.parts.push((name.to_string(), container_type.to_string()));
    }

    fn exit(&mut self) {
        self.path.parts.pop();
    }
}

impl<T: AtPath> ModuleVisitor for Walk<'_, T> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.enter(name, container_type);
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.exit();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.inner.float(&self.path, param);
    }
}

impl<T: MapAtPath> ModuleMapper for Walk<'_, T> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.enter(name, container_type);
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.exit();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        self.inner.float(&self.path, param)
    }
}
