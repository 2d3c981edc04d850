// A list that only builds the rows in view: fixed row height, a spacer for
// the scroll height, a small pool of row elements reused as it scrolls. Its
// cost per frame is the rows on screen, whatever the length of the list.

export class VirtualList {
  /**
   * `fill(element, index, fresh)` writes row `index` into `element`
   * (`fresh`: the element shows another row than before).
   */
  constructor(container, { rowClass, fill, onSelect }) {
    this.container = container;
    this.rowClass = rowClass;
    this.fill = fill;
    this.count = 0;
    this.rows = [];
    this.spacer = document.createElement('div');
    this.spacer.className = 'spacer';
    container.append(this.spacer);
    this.onScroll = null;
    container.addEventListener('scroll', () => this.onScroll?.(), {
      passive: true,
    });
    container.addEventListener('click', (event) => {
      const row = event.target.closest('.row');
      if (row && row.dataset.index !== undefined) {
        onSelect?.(Number(row.dataset.index), row);
      }
    });
  }

  get rowHeight() {
    return (
      parseFloat(getComputedStyle(this.container).getPropertyValue('--row')) ||
      24
    );
  }

  /** Draws rows for `count` items; call at most once per frame. */
  render(count) {
    const height = this.rowHeight;
    if (count !== this.count) {
      this.count = count;
      this.spacer.style.height = `${count * height}px`;
    }
    const top = this.container.scrollTop;
    const first = Math.max(0, Math.floor(top / height) - 2);
    const visible = Math.ceil(this.container.clientHeight / height) + 4;
    const last = Math.min(count, first + visible);
    while (this.rows.length < visible) {
      const row = document.createElement('div');
      row.className = `row ${this.rowClass}`;
      row.setAttribute('role', 'listitem');
      this.container.append(row);
      this.rows.push(row);
    }
    for (let slot = 0; slot < this.rows.length; slot++) {
      const row = this.rows[slot];
      const index = first + slot;
      if (index >= last) {
        if (!row.hidden) {
          // Hidden rows keep nothing of what they showed.
          row.hidden = true;
          row.entry = null;
          for (const key of Object.keys(row.dataset)) delete row.dataset[key];
        }
        continue;
      }
      if (row.hidden) row.hidden = false;
      const fresh = row.dataset.index !== String(index);
      if (fresh) {
        row.dataset.index = String(index);
        row.style.transform = `translateY(${index * height}px)`;
      }
      this.fill(row, index, fresh);
    }
  }
}
