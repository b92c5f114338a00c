"""Tags as typed (`web db`, `+web -old`, `-`) and as read from a domain's XML."""

from __future__ import annotations

from limen_tui.model.tags import SetTags, parse_tags
from limen_tui.virt.tags import NAMESPACE, labels_from_xml, tags_element


def test_typed_tags_set_add_remove_or_clear() -> None:
    assert parse_tags("web db web") == (SetTags(replace=("web", "db")), "")
    edit, _ = parse_tags("+ops -prod")
    assert edit is not None and edit.applied_to(("web", "prod")) == ("web", "ops")
    clear, _ = parse_tags("-")
    assert clear is not None and clear.applied_to(("a",)) == ()
    assert parse_tags("web +ops")[1].startswith("either name the tags")
    assert parse_tags("bad<tag")[1].startswith("bad tag 'bad<tag'")
    assert parse_tags("")[1].startswith("type the tags")


def test_tags_and_os_come_from_our_namespace_and_libosinfo_only() -> None:
    xml = f"""<domain><name>a</name><metadata>
      <other:tags xmlns:other="https://other.example/"><tag>nope</tag></other:tags>
      <limen:tags xmlns:limen="{NAMESPACE}"><tag>web</tag><tag>db</tag></limen:tags>
      <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
        <libosinfo:os id="http://debian.org/debian/12"/></libosinfo:libosinfo>
    </metadata></domain>"""
    assert labels_from_xml(xml) == (("web", "db"), "debian12")
    assert labels_from_xml("<domain/>") == ((), None)
    assert labels_from_xml("not xml") == ((), None)
    assert tags_element(("a&b",)) == "<tags><tag>a&amp;b</tag></tags>"
