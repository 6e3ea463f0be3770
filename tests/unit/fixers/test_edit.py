"""The text edits keep every other line and change nothing when the value is there."""

from __future__ import annotations

from kcrashd.fixers import edit
from kcrashd.host.kdump_config import parse_kdump_conf, parse_shell_vars
from kcrashd.host.sysctl_conf import parse_sysctl_conf


def test_set_sysctl_appends_then_replaces_in_place():
    text = edit.set_sysctl(None, "kernel.panic", "10", "panic_timeout")
    assert text.startswith(edit.HEADER) and "kernel.panic = 10\n" in text
    text = edit.set_sysctl(text, "kernel.panic_on_oops", "1")
    # the slash spelling is the same key
    assert edit.set_sysctl(text, "kernel/panic", "20") == edit.set_sysctl(
        text, "kernel.panic", "20"
    )
    assert parse_sysctl_conf(edit.set_sysctl(text, "kernel.panic", "20")) == [
        ("kernel.panic", "20"),
        ("kernel.panic_on_oops", "1"),
    ]
    assert edit.set_sysctl(text, "kernel.panic", "10") == text


def test_set_shell_var_edits_the_active_line_only():
    text = '# USE_KDUMP=1 in a comment\nUSE_KDUMP=0\nKDUMP_COREDIR="/var/crash"\n'
    new = edit.set_shell_var(text, "USE_KDUMP", "1")
    assert new == '# USE_KDUMP=1 in a comment\nUSE_KDUMP=1\nKDUMP_COREDIR="/var/crash"\n'
    args = edit.set_shell_var(new, "MAKEDUMP_ARGS", "-c -d 31")
    assert parse_shell_vars(args)["MAKEDUMP_ARGS"] == "-c -d 31"
    assert edit.set_shell_var(args, "MAKEDUMP_ARGS", "-c -d 31") == args
    assert edit.set_shell_var("export X=1", "X", "2") == "X=2\n"


def test_set_directive_replaces_the_directive_that_wins():
    text = "path /var/crash\n#core_collector cp\ncore_collector cp\n"
    new = edit.set_directive(text, "core_collector", "makedumpfile -l -d 31")
    assert parse_kdump_conf(new)["core_collector"] == "makedumpfile -l -d 31"
    assert "#core_collector cp" in new and new.count("\n") == 3


def test_crashkernel_edits():
    line = "options root=/dev/vda ro crashkernel=auto quiet"
    assert (
        edit.set_crashkernel(line, "1G-4G:192M")
        == "options root=/dev/vda ro crashkernel=1G-4G:192M quiet"
    )
    assert edit.set_crashkernel("options ro", "256M") == "options ro crashkernel=256M"
    grub = 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=384M-:128M"\n'
    assert edit.set_grub_crashkernel(grub, "2G-64G:256M") == grub.replace(
        "384M-:128M", "2G-64G:256M"
    )
    assert edit.set_grub_crashkernel(None, "256M") == edit.grub_line("256M") + "\n"
    commented = "# crashkernel=1G\n"
    assert edit.set_grub_crashkernel(commented, "256M") == commented + edit.grub_line("256M") + "\n"


def test_a_file_without_final_newline_gets_one():
    assert edit.set_shell_var("A=1", "B", "2") == "A=1\nB=2\n"


def test_the_writer_never_follows_an_image_link_out_of_the_image(tmp_path):

    from kcrashd.host import writer
    from kcrashd.host.root import Root

    image = tmp_path / "image"
    (image / "etc").mkdir(parents=True)
    outside = tmp_path / "host-etc-sysctl.d"
    outside.mkdir()
    (image / "etc" / "sysctl.d").symlink_to(outside)  # absolute: the host's directory
    # resolved as the image's own system would (a chroot): the same path inside the image
    writer.write_file(Root(str(image)), "/etc/sysctl.d/90-kcrashd.conf", b"x = 1\n")
    assert list(outside.iterdir()) == []
    inside = image / str(outside).lstrip("/") / "90-kcrashd.conf"
    assert inside.read_text() == "x = 1\n"
    # a file link inside the image is followed inside it
    (image / "etc" / "real.conf").write_text("a\n")
    (image / "etc" / "link.conf").symlink_to("/etc/real.conf")
    writer.write_file(Root(str(image)), "/etc/link.conf", b"b\n")
    assert (image / "etc" / "real.conf").read_text() == "b\n"
    assert (image / "etc" / "link.conf").is_symlink()
