"""The PPO policy's torch side: a fixed input normalisation as stable-baselines3's
features extractor, the policy's action probabilities, and its weights for the
ONNX graph (agent_onnx.py).

The normalisation is fixed before training (train-split mean and std of each
exported feature over every warm candle; position passes through as mean 0,
std 1) and clipped to +-CLIP, instead of VecNormalize's running statistics: the
same constants are baked into the ONNX graph, so the cockpit feeds raw values and
nothing changes between training, export and live use.
"""

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

CLIP = 10.0


class FixedNormalizer(BaseFeaturesExtractor):
    """clamp((x - mean) / std, -CLIP, CLIP) with constants given at construction."""

    def __init__(self, observation_space: spaces.Box, mean, std, clip: float = CLIP):
        super().__init__(observation_space, features_dim=int(observation_space.shape[0]))
        mean = torch.as_tensor(np.asarray(mean, dtype=np.float32))
        std = torch.as_tensor(np.asarray(std, dtype=np.float32))
        if mean.shape != observation_space.shape or std.shape != observation_space.shape or (std <= 0).any():
            raise ValueError("normalisation mean/std must match the observation and std be positive")
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.clip = float(clip)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.clamp((obs - self.mean) / self.std, -self.clip, self.clip)


class ActionProbs(nn.Module):
    """Observation -> action probabilities (softmax of the policy's logits), the
    module the ONNX graph reproduces."""

    def __init__(self, policy):
        super().__init__()
        self.policy = policy

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        p = self.policy
        latent = p.mlp_extractor.forward_actor(p.pi_features_extractor(obs))
        return torch.softmax(p.action_net(latent), dim=-1)


def policy_probs(policy, obs: np.ndarray, batch: int = 65536) -> np.ndarray:
    """The policy's own categorical distribution (stable-baselines3's
    get_distribution) on float32 observations: the reference the ONNX export is
    checked against."""
    out = []
    policy.set_training_mode(False)
    with torch.no_grad():
        for i in range(0, len(obs), batch):
            x = torch.as_tensor(np.ascontiguousarray(obs[i:i + batch], dtype=np.float32))
            out.append(policy.get_distribution(x).distribution.probs.numpy())
    return np.concatenate(out).astype(np.float32)


def wrapper_probs(policy, obs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return ActionProbs(policy).eval()(torch.as_tensor(np.asarray(obs, dtype=np.float32))).numpy()


def policy_weights(policy) -> tuple[np.ndarray, np.ndarray, float, list[tuple[np.ndarray, np.ndarray]]]:
    """(mean, std, clip, [(W, b) of each Linear: hidden layers, then the action head])
    after checking the network is the plain Linear/Tanh stack the ONNX graph builds."""
    norm = policy.pi_features_extractor
    if not isinstance(norm, FixedNormalizer):
        raise TypeError("the policy's features extractor is not FixedNormalizer")
    layers = []
    modules = list(policy.mlp_extractor.policy_net)
    for i, module in enumerate(modules):
        if i % 2 == 0 and isinstance(module, nn.Linear):
            layers.append((module.weight.detach().numpy().copy(), module.bias.detach().numpy().copy()))
        elif i % 2 == 1 and isinstance(module, nn.Tanh):
            continue
        else:
            raise TypeError(f"unexpected layer {module} in the policy network: the export knows Linear/Tanh")
    if len(modules) % 2:
        raise TypeError("the policy network does not end with an activation")
    head = policy.action_net
    layers.append((head.weight.detach().numpy().copy(), head.bias.detach().numpy().copy()))
    return norm.mean.numpy().copy(), norm.std.numpy().copy(), norm.clip, layers
