"""The layers of ``srcad.nn``."""

from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .linear import Flatten, Identity, Linear, Unflatten
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .pooling import MaxPool2d

__all__ = [
    "Module",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "Sequential",
    "ModuleList",
    "Flatten",
    "Unflatten",
    "Identity",
    "CrossEntropyLoss",
    "NLLLoss",
    "MSELoss",
]
