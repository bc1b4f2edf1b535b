"""A kernel provisioner that gives every kernel encrypted sockets (not used by the chapters).

jupyter_client starts kernels over TCP and, unless told otherwise, in plain text, so every
ipykernel started by nbclient, the book build or JupyterLab logs "Kernel is running over
TCP without encryption". This provisioner asks the kernel manager to provision CurveZMQ
keys (``transport_encryption="auto"``: only for kernels whose kernelspec declares support,
as ipykernel's does). The Makefile selects it with
``JUPYTER_DEFAULT_PROVISIONER_NAME=convbook-encrypted``; pyproject.toml registers it.
Only jupyter_client imports this module.
"""
from jupyter_client.provisioning import LocalProvisioner


class EncryptedLocalProvisioner(LocalProvisioner):
    """The local provisioner, with CurveZMQ transport encryption switched on."""

    async def pre_launch(self, **kwargs):
        kwargs.setdefault("transport_encryption", "auto")
        return await super().pre_launch(**kwargs)
