package witmodel

func alignTo(n, a uint32) uint32 { return (n + a - 1) / a * a }

// layoutStruct computes size, alignment, offsets and flattening of a record
// or tuple.
func layoutStruct(t *Type) {
	var size, align uint32 = 0, 1
	t.Flat = nil
	for _, f := range t.Fields {
		size = alignTo(size, f.Type.Align)
		f.Offset = size
		f.FlatAt = len(t.Flat)
		size += f.Type.Size
		align = max(align, f.Type.Align)
		t.Flat = append(t.Flat, f.Type.Flat...)
	}
	t.Size, t.Align = alignTo(size, align), align
}

func discSize(n int) uint32 {
	switch {
	case n <= 1<<8:
		return 1
	case n <= 1<<16:
		return 2
	}
	return 4
}

// layoutVariant lays out variants, enums, options and results.
func layoutVariant(t *Type) {
	t.DiscSize = discSize(len(t.Cases))
	var maxSize, maxAlign uint32 = 0, 1
	var joined []CoreType
	for _, c := range t.Cases {
		if c.Type == nil {
			continue
		}
		maxSize = max(maxSize, c.Type.Size)
		maxAlign = max(maxAlign, c.Type.Align)
		for i, ft := range c.Type.Flat {
			if i < len(joined) {
				joined[i] = join(joined[i], ft)
			} else {
				joined = append(joined, ft)
			}
		}
	}
	t.Align = max(t.DiscSize, maxAlign)
	t.PayloadOffset = alignTo(t.DiscSize, maxAlign)
	t.Size = alignTo(t.PayloadOffset+maxSize, t.Align)
	t.Flat = append([]CoreType{I32}, joined...)
}

func join(a, b CoreType) CoreType {
	if a == b {
		return a
	}
	if (a == I32 && b == CF32) || (a == CF32 && b == I32) {
		return I32
	}
	return I64
}

// layoutFlags: up to 8 flags in a u8, 16 in a u16, 32 in a u32, then u32s.
func layoutFlags(t *Type) {
	n := len(t.Flags)
	switch {
	case n <= 8:
		t.Size, t.Align = 1, 1
	case n <= 16:
		t.Size, t.Align = 2, 2
	default:
		t.Size, t.Align = 4*uint32((n+31)/32), 4
	}
	t.Flat = nil
	for i := 0; i < max(1, (n+31)/32); i++ {
		t.Flat = append(t.Flat, I32)
	}
}
