"""One Host per hypervisor, owning all of it; the Fleet holds them. The UI's only way in."""
