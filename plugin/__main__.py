"""The native `flex` provider plugin from source (PulumiPlugin.yaml): the same entry point as `pulumi-resource-flex`."""

from flex_provider.native.__main__ import main

main()
