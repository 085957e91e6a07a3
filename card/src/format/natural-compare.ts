// "plug 2" before "plug 10", case-insensitive. Hand-written: creating an Intl.Collator costs
// ~30 ms the first time, which would land in the card's first render.

const isDigit = (c: number) => c >= 48 && c <= 57;

export function naturalCompare(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const cx = x.charCodeAt(i);
    const cy = y.charCodeAt(j);
    if (isDigit(cx) && isDigit(cy)) {
      let ei = i;
      let ej = j;
      while (ei < x.length && isDigit(x.charCodeAt(ei))) ei++;
      while (ej < y.length && isDigit(y.charCodeAt(ej))) ej++;
      const nx = x.slice(i, ei).replace(/^0+(?=\d)/, "");
      const ny = y.slice(j, ej).replace(/^0+(?=\d)/, "");
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      i = ei;
      j = ej;
    } else {
      if (cx !== cy) return cx - cy;
      i++;
      j++;
    }
  }
  return x.length - i - (y.length - j);
}
