/* Unit tests: the PCI host bridge: config space, BARs, capabilities. KVM faked at ioctl()
 * (fake_kvm.c), fixtures in pci_fixture.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include "fake_kvm.h"
#include "pci_fixture.h"

static void test_cfg_ids(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(0, PCI_VENDOR_ID, 2), 0x1234);
	assert_int_equal(cfg_read(0, PCI_DEVICE_ID, 2), 0x5678);
	assert_int_equal(cfg_read(0, PCI_VENDOR_ID, 4), 0x56781234);
	assert_int_equal(cfg_read(0, PCI_REVISION_ID, 4), 0x0c033001);
	assert_int_equal(cfg_read(0, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_read(0, PCI_SUBSYSTEM_VENDOR_ID, 4), 0xef01abcd);
	assert_int_equal(cfg_read(0, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(cfg_read(0, PCI_INTERRUPT_LINE, 1), plain.pci.intx_intid - 32);
	assert_int_equal(pci_requester_id(&plain.pci), 0);
	/* No device in slot 1, and only function 0 exists: a master abort reads all ones. */
	assert_int_equal(cfg_read(1, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(cfg_read(1, PCI_VENDOR_ID, 2), 0xffff);
	assert_int_equal(cfg_read(31, PCI_HEADER_TYPE, 1), 0xff);
	assert_int_equal(cfg_read_fn(0, 1, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(cfg_read_fn(0, 7, PCI_VENDOR_ID, 2), 0xffff);
	/* Extended config space (PCIe) past 256 bytes reads 0 and ignores writes. */
	assert_int_equal(cfg_read(0, 0x100, 4), 0);
	assert_int_equal(cfg_read(0, 0xffc, 4), 0);
	cfg_write(0, 0x100, 4, 0x12345678);
	assert_int_equal(cfg_read(0, 0x100, 4), 0);
	assert_int_equal(pci_cfg_read(&plain.pci, 0xfe, 4), 0);
}

static void test_cfg_read_only(void **state)
{
	(void)state;
	cfg_write(0, PCI_VENDOR_ID, 4, 0xdeadbeef);
	assert_int_equal(cfg_read(0, PCI_VENDOR_ID, 4), 0x56781234);
	cfg_write(0, PCI_REVISION_ID, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_REVISION_ID, 4), 0x0c033001);
	cfg_write(0, PCI_INTERRUPT_PIN, 1, 4);
	assert_int_equal(cfg_read(0, PCI_INTERRUPT_PIN, 1), 1);
	/* Command: only MEMORY, MASTER and INTX_DISABLE are implemented; status is read-only. */
	cfg_write(0, PCI_COMMAND, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_COMMAND, 4),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	/* Interrupt line is scratch space for the guest. */
	cfg_write(0, PCI_INTERRUPT_LINE, 1, 0x5a);
	assert_int_equal(cfg_read(0, PCI_INTERRUPT_LINE, 1), 0x5a);
	/* No capabilities: the status bit and pointer are clear. */
	assert_int_equal(cfg_read(0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	assert_int_equal(find_cap(0, PCI_CAP_ID_MSIX, 0), 0);
}

static void test_bar_sizing(void **state)
{
	static const unsigned unused[] = { 1, 4, 5 };
	uint32_t orig0 = cfg_read(0, PCI_BAR0, 4), orig2 = cfg_read(0, PCI_BAR0 + 8, 4);

	(void)state;
	/* Placed at the start of the 32-bit window, each naturally aligned. */
	assert_int_equal(orig0, guest_memmap[MEM_PCI_MMIO].base);
	assert_int_equal(orig2, (guest_memmap[MEM_PCI_MMIO].base + PLAIN_BAR2_SIZE) | PCI_BAR_MEM64);
	assert_int_equal(cfg_read(0, PCI_BAR0 + 12, 4), 0);
	/* Writing all ones reads back ~(size - 1) with the type bits kept. */
	cfg_write(0, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_BAR0, 4), (uint32_t)~(PLAIN_BAR0_SIZE - 1));
	cfg_write(0, PCI_BAR0 + 8, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_BAR0 + 8, 4), (uint32_t)~(PLAIN_BAR2_SIZE - 1) | PCI_BAR_MEM64);
	cfg_write(0, PCI_BAR0 + 12, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, PCI_BAR0 + 12, 4), 0xffffffff); /* size < 4 GiB */
	/* Unused BARs size as 0: not implemented. */
	for (unsigned i = 0; i < ARRAY_SIZE(unused); i++) {
		cfg_write(0, PCI_BAR0 + 4 * unused[i], 4, 0xffffffff);
		assert_int_equal(cfg_read(0, PCI_BAR0 + 4 * unused[i], 4), 0);
	}
	/* Low flag bits are read-only even with a 1-byte write. */
	cfg_write(0, PCI_BAR0, 1, 0x0f);
	assert_int_equal(cfg_read(0, PCI_BAR0, 4) & 0xf, 0);
	cfg_write(0, PCI_BAR0, 4, orig0);
	cfg_write(0, PCI_BAR0 + 8, 4, orig2);
	cfg_write(0, PCI_BAR0 + 12, 4, 0);
	assert_int_equal(cfg_read(0, PCI_BAR0, 4), orig0);
	assert_int_equal(cfg_read(0, PCI_BAR0 + 8, 4), orig2);
}

static void test_bar_add_invalid(void **state)
{
	struct pci_device pd;

	(void)state;
	pci_device_init(&pd, "bad", 1, 2, 0, 0, 0);
	assert_int_equal(pci_bar_add(&pd, 0, 0x3000, false, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, 0, 0x800, false, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, 0, 1ULL << 32, true, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, PCI_NR_BARS, SZ_4K, false, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, 5, SZ_4K, true, &plain_ops, NULL), -EINVAL);
	assert_int_equal(pci_bar_add(&pd, 5, SZ_4K, false, &plain_ops, NULL), 0);
}

/* Does an access at gpa reach the plain device, at offset off of one of its BARs? */
static bool plain_answers(uint64_t gpa, uint64_t off)
{
	unsigned before = plain.reads;
	uint64_t v = mmio_read(gpa, 4);

	if (plain.reads == before) {
		assert_int_equal(v, 0); /* unclaimed addresses read as zero */
		return false;
	}
	assert_int_equal(plain.last_off, off);
	assert_int_equal(v, 0xd0000000 | off);
	return true;
}

static void test_bar_mapping(void **state)
{
	uint64_t base = cfg_read(0, PCI_BAR0, 4), moved = guest_memmap[MEM_PCI_MMIO].base + 0x1000000;

	(void)state;
	/* Decoding is off until the guest sets MEMORY. */
	assert_false(plain_answers(base + 0x10, 0x10));
	cfg_write(0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_true(plain_answers(base + 0x10, 0x10));
	mmio_write(base + 0x20, 4, 0xcafe);
	assert_int_equal(plain.writes, 1);
	assert_int_equal(plain.last_val, 0xcafe);
	/* Moving the BAR unmaps the old address. */
	cfg_write(0, PCI_BAR0, 4, moved);
	assert_false(plain_answers(base + 0x10, 0x10));
	assert_true(plain_answers(moved + 0x3ffc, 0x3ffc));
	assert_int_equal(plain.pci.bars[0].mapped_at, moved);
	/* Sizing with decoding on: all ones is outside the windows and never lands on the bus. */
	cfg_write(0, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(plain.pci.bars[0].mapped_at, 0);
	assert_false(plain_answers(moved, 0));
	assert_false(plain_answers(0xffffc000, 0));
	/* Neither does an address outside both PCI windows (here: RAM). */
	cfg_write(0, PCI_BAR0, 4, RAM_GPA);
	assert_int_equal(plain.pci.bars[0].mapped_at, 0);
	cfg_write(0, PCI_BAR0, 4, moved);
	assert_true(plain_answers(moved, 0));
	/* Clearing MEMORY unmaps every BAR. */
	cfg_write(0, PCI_COMMAND, 2, 0);
	assert_false(plain_answers(moved, 0));
	assert_int_equal(plain.pci.bars[0].mapped_at, 0);
	assert_int_equal(plain.pci.bars[2].mapped_at, 0);
}

static void test_bar_64bit_high(void **state)
{
	uint64_t high = guest_memmap[MEM_PCI_MMIO_HIGH].base + 0x200000;

	(void)state;
	cfg_write(0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(plain.pci.bars[2].mapped_at, guest_memmap[MEM_PCI_MMIO].base + PLAIN_BAR2_SIZE);
	/* The guest writes the halves one at a time; the end state is what counts. */
	cfg_write(0, PCI_BAR0 + 8, 4, (uint32_t)high);
	cfg_write(0, PCI_BAR0 + 12, 4, high >> 32);
	assert_int_equal(plain.pci.bars[2].mapped_at, high);
	assert_true(plain_answers(high + 0x100, 0x100));
	assert_false(plain_answers(guest_memmap[MEM_PCI_MMIO].base + PLAIN_BAR2_SIZE + 0x100, 0));
	/* Past the end of the 64-bit window: not decoded. */
	cfg_write(0, PCI_BAR0 + 12, 4, 0xffffffff);
	assert_int_equal(plain.pci.bars[2].mapped_at, 0);
	assert_false(plain_answers(high + 0x100, 0));
}

static void test_bar_overlap(void **state)
{
	uint64_t a;

	(void)state;
	plain_add(&plain2);
	a = cfg_read(0, PCI_BAR0, 4);
	assert_int_not_equal(cfg_read(1, PCI_BAR0, 4), a);
	cfg_write(0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cfg_write(1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	/* Slot 1's BAR0 moved onto slot 0's: refused, slot 0 keeps the range. */
	cfg_write(1, PCI_BAR0, 4, a);
	assert_int_equal(plain2.pci.bars[0].mapped_at, 0);
	assert_true(plain_answers(a + 8, 8));
	assert_int_equal(plain2.reads, 0);
}

static void test_cap_add(void **state)
{
	static const uint8_t body[6] = { 1, 2, 3, 4, 5, 6 }, wmask[6] = { 0xff, 0x0f, 0, 0, 0, 0 };
	struct pci_device *pd = &plain.pci;
	int a, b;

	(void)state;
	a = pci_cap_add(pd, 0x05, body, sizeof(body), wmask);
	b = pci_cap_add(pd, 0x10, body, 3, NULL);
	assert_int_equal(a, 0x40);
	assert_int_equal(b, 0x48); /* 4-byte aligned after the first */
	assert_true(cfg_read(0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(find_cap(0, 0x05, 0), a);
	assert_int_equal(find_cap(0, 0x10, 0), b);
	assert_int_equal(cfg_read(0, b + 1, 1), 0); /* end of the list */
	assert_int_equal(cfg_read(0, a, 4), 0x02014805); /* id, next, body */
	assert_int_equal(cfg_read(0, a + 4, 4), 0x06050403);
	/* Only the wmask bits of the body are writable; the header never is. */
	cfg_write(0, a, 4, 0xffffffff);
	assert_int_equal(cfg_read(0, a, 4), 0x0fff4805);
	/* Too big for what is left: refused, the list untouched. */
	assert_int_equal(pci_cap_add(pd, 0x09, body, 0xb0, NULL), -ENOSPC);
	assert_int_equal(cfg_read(0, b + 1, 1), 0);
}

/* A capability ending exactly at 0x100 fills config space: the next one is refused, and
 * the header is untouched (next_cap once wrapped to 0 here and overwrote the header). */
static void test_cap_add_full(void **state)
{
	static const uint8_t body[2] = { 1, 2 };
	struct pci_device *pd = &plain.pci;
	int off = 0;

	(void)state;
	/* 2-byte bodies take 4 bytes each: 0x40, 0x44, ..., the last at 0xfc ends at 0x100. */
	for (unsigned i = 0; i < (PCI_CFG_SIZE - 0x40) / 4; i++)
		off = pci_cap_add(pd, 0x09, body, sizeof(body), NULL);
	assert_int_equal(off, 0xfc);
	assert_int_equal(pci_cap_add(pd, 0x09, body, sizeof(body), NULL), -ENOSPC);
	assert_int_equal(cfg_read(0, PCI_VENDOR_ID, 4), 0x56781234);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PLAIN_TEST(test_cfg_ids),
		PLAIN_TEST(test_cfg_read_only),
		PLAIN_TEST(test_bar_sizing),
		cmocka_unit_test(test_bar_add_invalid),
		PLAIN_TEST(test_bar_mapping),
		PLAIN_TEST(test_bar_64bit_high),
		PLAIN_TEST(test_bar_overlap),
		PLAIN_TEST(test_cap_add),
		PLAIN_TEST(test_cap_add_full),
	};
	return cmocka_run_group_tests_name("pci_cfg", tests, NULL, NULL);
}
