"""French recognizers, one per module, each registered in ``bulle.text.registry``."""
