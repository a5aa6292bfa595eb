"""Dockerfile rules (DKR-001..), grouped by theme.

``base_image`` (tags, digests, minimal bases, stage names, registries), ``user`` (root, sudo,
insecure builds, passwords), ``permissions`` (world-writable, setuid, SSH), ``download``
(remote ADD, pipes into a shell, plain HTTP), ``verification`` (TLS, signature and signing-key
checks), ``package_cleanup`` and ``package_usage`` (package-manager hygiene), ``pinning``
(version pins), ``secrets``, ``stages`` (COPY --from, HEALTHCHECK, CMD/ENTRYPOINT) and
``hygiene`` (build context, WORKDIR, suppression reasons). Every check receives a
:class:`cnsmm.sources.dockerfile.Dockerfile`.
"""
