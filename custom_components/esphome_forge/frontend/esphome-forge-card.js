var e=globalThis,t=e.ShadowRoot&&(e.ShadyCSS===void 0||e.ShadyCSS.nativeShadow)&&`adoptedStyleSheets`in Document.prototype&&`replace`in CSSStyleSheet.prototype,n=Symbol(),r=new WeakMap,i=class{constructor(e,t,r){if(this._$cssResult$=!0,r!==n)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,n=this.t;if(t&&e===void 0){let t=n!==void 0&&n.length===1;t&&(e=r.get(n)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),t&&r.set(n,e))}return e}toString(){return this.cssText}},a=e=>new i(typeof e==`string`?e:e+``,void 0,n),o=(e,...t)=>new i(e.length===1?e[0]:t.reduce((t,n,r)=>t+(e=>{if(!0===e._$cssResult$)return e.cssText;if(typeof e==`number`)return e;throw Error(`Value passed to 'css' function must be a 'css' function result: `+e+`. Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.`)})(n)+e[r+1],e[0]),e,n),s=(n,r)=>{if(t)n.adoptedStyleSheets=r.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let t of r){let r=document.createElement(`style`),i=e.litNonce;i!==void 0&&r.setAttribute(`nonce`,i),r.textContent=t.cssText,n.appendChild(r)}},c=t?e=>e:e=>e instanceof CSSStyleSheet?(e=>{let t=``;for(let n of e.cssRules)t+=n.cssText;return a(t)})(e):e,{is:l,defineProperty:u,getOwnPropertyDescriptor:d,getOwnPropertyNames:f,getOwnPropertySymbols:p,getPrototypeOf:m}=Object,ee=globalThis,te=ee.trustedTypes,ne=te?te.emptyScript:``,re=ee.reactiveElementPolyfillSupport,h=(e,t)=>e,ie={toAttribute(e,t){switch(t){case Boolean:e=e?ne:null;break;case Object:case Array:e=e==null?e:JSON.stringify(e)}return e},fromAttribute(e,t){let n=e;switch(t){case Boolean:n=e!==null;break;case Number:n=e===null?null:Number(e);break;case Object:case Array:try{n=JSON.parse(e)}catch{n=null}}return n}},ae=(e,t)=>!l(e,t),oe={attribute:!0,type:String,converter:ie,reflect:!1,useDefault:!1,hasChanged:ae};Symbol.metadata??=Symbol(`metadata`),ee.litPropertyMetadata??=new WeakMap;var g=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=oe){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let n=Symbol(),r=this.getPropertyDescriptor(e,n,t);r!==void 0&&u(this.prototype,e,r)}}static getPropertyDescriptor(e,t,n){let{get:r,set:i}=d(this.prototype,e)??{get(){return this[t]},set(e){this[t]=e}};return{get:r,set(t){let a=r?.call(this);i?.call(this,t),this.requestUpdate(e,a,n)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??oe}static _$Ei(){if(this.hasOwnProperty(h(`elementProperties`)))return;let e=m(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(h(`finalized`)))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(h(`properties`))){let e=this.properties,t=[...f(e),...p(e)];for(let n of t)this.createProperty(n,e[n])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[e,n]of t)this.elementProperties.set(e,n)}this._$Eh=new Map;for(let[e,t]of this.elementProperties){let n=this._$Eu(e,t);n!==void 0&&this._$Eh.set(n,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let n=new Set(e.flat(1/0).reverse());for(let e of n)t.unshift(c(e))}else e!==void 0&&t.push(c(e));return t}static _$Eu(e,t){let n=t.attribute;return!1===n?void 0:typeof n==`string`?n:typeof e==`string`?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let n of t.keys())this.hasOwnProperty(n)&&(e.set(n,this[n]),delete this[n]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return s(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,n){this._$AK(e,n)}_$ET(e,t){let n=this.constructor.elementProperties.get(e),r=this.constructor._$Eu(e,n);if(r!==void 0&&!0===n.reflect){let i=(n.converter?.toAttribute===void 0?ie:n.converter).toAttribute(t,n.type);this._$Em=e,i==null?this.removeAttribute(r):this.setAttribute(r,i),this._$Em=null}}_$AK(e,t){let n=this.constructor,r=n._$Eh.get(e);if(r!==void 0&&this._$Em!==r){let e=n.getPropertyOptions(r),i=typeof e.converter==`function`?{fromAttribute:e.converter}:e.converter?.fromAttribute===void 0?ie:e.converter;this._$Em=r;let a=i.fromAttribute(t,e.type);this[r]=a??this._$Ej?.get(r)??a,this._$Em=null}}requestUpdate(e,t,n,r=!1,i){if(e!==void 0){let a=this.constructor;if(!1===r&&(i=this[e]),n??=a.getPropertyOptions(e),!((n.hasChanged??ae)(i,t)||n.useDefault&&n.reflect&&i===this._$Ej?.get(e)&&!this.hasAttribute(a._$Eu(e,n))))return;this.C(e,t,n)}!1===this.isUpdatePending&&(this._$ES=this._$EP())}C(e,t,{useDefault:n,reflect:r,wrapped:i},a){n&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,a??t??this[e]),!0!==i||a!==void 0)||(this._$AL.has(e)||(this.hasUpdated||n||(t=void 0),this._$AL.set(e,t)),!0===r&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[e,t]of this._$Ep)this[e]=t;this._$Ep=void 0}let e=this.constructor.elementProperties;if(e.size>0)for(let[t,n]of e){let{wrapped:e}=n,r=this[t];!0!==e||this._$AL.has(t)||r===void 0||this.C(t,void 0,n,r)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(e=>e.hostUpdate?.()),this.update(t)):this._$EM()}catch(t){throw e=!1,this._$EM(),t}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(e){}firstUpdated(e){}};g.elementStyles=[],g.shadowRootOptions={mode:`open`},g[h(`elementProperties`)]=new Map,g[h(`finalized`)]=new Map,re?.({ReactiveElement:g}),(ee.reactiveElementVersions??=[]).push(`2.1.2`);var se=globalThis,ce=e=>e,le=se.trustedTypes,ue=le?le.createPolicy(`lit-html`,{createHTML:e=>e}):void 0,de=`$lit$`,_=`lit$${Math.random().toFixed(9).slice(2)}$`,fe=`?`+_,pe=`<${fe}>`,v=document,y=()=>v.createComment(``),b=e=>e===null||typeof e!=`object`&&typeof e!=`function`,me=Array.isArray,he=e=>me(e)||typeof e?.[Symbol.iterator]==`function`,ge=`[ 	
\f\r]`,_e=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,ve=/-->/g,ye=/>/g,x=RegExp(`>|${ge}(?:([^\\s"'>=/]+)(${ge}*=${ge}*(?:[^ \t\n\f\r"'\`<>=]|("|')|))|$)`,`g`),be=/'/g,xe=/"/g,Se=/^(?:script|style|textarea|title)$/i,S=(e=>(t,...n)=>({_$litType$:e,strings:t,values:n}))(1),C=Symbol.for(`lit-noChange`),w=Symbol.for(`lit-nothing`),Ce=new WeakMap,T=v.createTreeWalker(v,129);function we(e,t){if(!me(e)||!e.hasOwnProperty(`raw`))throw Error(`invalid template strings array`);return ue===void 0?t:ue.createHTML(t)}var Te=(e,t)=>{let n=e.length-1,r=[],i,a=t===2?`<svg>`:t===3?`<math>`:``,o=_e;for(let t=0;t<n;t++){let n=e[t],s,c,l=-1,u=0;for(;u<n.length&&(o.lastIndex=u,c=o.exec(n),c!==null);)u=o.lastIndex,o===_e?c[1]===`!--`?o=ve:c[1]===void 0?c[2]===void 0?c[3]!==void 0&&(o=x):(Se.test(c[2])&&(i=RegExp(`</`+c[2],`g`)),o=x):o=ye:o===x?c[0]===`>`?(o=i??_e,l=-1):c[1]===void 0?l=-2:(l=o.lastIndex-c[2].length,s=c[1],o=c[3]===void 0?x:c[3]===`"`?xe:be):o===xe||o===be?o=x:o===ve||o===ye?o=_e:(o=x,i=void 0);let d=o===x&&e[t+1].startsWith(`/>`)?` `:``;a+=o===_e?n+pe:l>=0?(r.push(s),n.slice(0,l)+de+n.slice(l)+_+d):n+_+(l===-2?t:d)}return[we(e,a+(e[n]||`<?>`)+(t===2?`</svg>`:t===3?`</math>`:``)),r]},Ee=class e{constructor({strings:t,_$litType$:n},r){let i;this.parts=[];let a=0,o=0,s=t.length-1,c=this.parts,[l,u]=Te(t,n);if(this.el=e.createElement(l,r),T.currentNode=this.el.content,n===2||n===3){let e=this.el.content.firstChild;e.replaceWith(...e.childNodes)}for(;(i=T.nextNode())!==null&&c.length<s;){if(i.nodeType===1){if(i.hasAttributes())for(let e of i.getAttributeNames())if(e.endsWith(de)){let t=u[o++],n=i.getAttribute(e).split(_),r=/([.?@])?(.*)/.exec(t);c.push({type:1,index:a,name:r[2],strings:n,ctor:r[1]===`.`?ke:r[1]===`?`?Ae:r[1]===`@`?je:D}),i.removeAttribute(e)}else e.startsWith(_)&&(c.push({type:6,index:a}),i.removeAttribute(e));if(Se.test(i.tagName)){let e=i.textContent.split(_),t=e.length-1;if(t>0){i.textContent=le?le.emptyScript:``;for(let n=0;n<t;n++)i.append(e[n],y()),T.nextNode(),c.push({type:2,index:++a});i.append(e[t],y())}}}else if(i.nodeType===8){if(i.data===fe)c.push({type:2,index:a});else{let e=-1;for(;(e=i.data.indexOf(_,e+1))!==-1;)c.push({type:7,index:a}),e+=_.length-1}}a++}}static createElement(e,t){let n=v.createElement(`template`);return n.innerHTML=e,n}};function E(e,t,n=e,r){if(t===C)return t;let i=r===void 0?n._$Cl:n._$Co?.[r],a=b(t)?void 0:t._$litDirective$;return i?.constructor!==a&&(i?._$AO?.(!1),a===void 0?i=void 0:(i=new a(e),i._$AT(e,n,r)),r===void 0?n._$Cl=i:(n._$Co??=[])[r]=i),i!==void 0&&(t=E(e,i._$AS(e,t.values),i,r)),t}var De=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:n}=this._$AD,r=(e?.creationScope??v).importNode(t,!0);T.currentNode=r;let i=T.nextNode(),a=0,o=0,s=n[0];for(;s!==void 0;){if(a===s.index){let t;s.type===2?t=new Oe(i,i.nextSibling,this,e):s.type===1?t=new s.ctor(i,s.name,s.strings,this,e):s.type===6&&(t=new Me(i,this,e)),this._$AV.push(t),s=n[++o]}a!==s?.index&&(i=T.nextNode(),a++)}return T.currentNode=v,r}p(e){let t=0;for(let n of this._$AV)n!==void 0&&(n.strings===void 0?n._$AI(e[t]):(n._$AI(e,n,t),t+=n.strings.length-2)),t++}},Oe=class e{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,n,r){this.type=2,this._$AH=w,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=n,this.options=r,this._$Cv=r?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=E(this,e,t),b(e)?e===w||e==null||e===``?(this._$AH!==w&&this._$AR(),this._$AH=w):e!==this._$AH&&e!==C&&this._(e):e._$litType$===void 0?e.nodeType===void 0?he(e)?this.k(e):this._(e):this.T(e):this.$(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==w&&b(this._$AH)?this._$AA.nextSibling.data=e:this.T(v.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:n}=e,r=typeof n==`number`?this._$AC(e):(n.el===void 0&&(n.el=Ee.createElement(we(n.h,n.h[0]),this.options)),n);if(this._$AH?._$AD===r)this._$AH.p(t);else{let e=new De(r,this),n=e.u(this.options);e.p(t),this.T(n),this._$AH=e}}_$AC(e){let t=Ce.get(e.strings);return t===void 0&&Ce.set(e.strings,t=new Ee(e)),t}k(t){me(this._$AH)||(this._$AH=[],this._$AR());let n=this._$AH,r,i=0;for(let a of t)i===n.length?n.push(r=new e(this.O(y()),this.O(y()),this,this.options)):r=n[i],r._$AI(a),i++;i<n.length&&(this._$AR(r&&r._$AB.nextSibling,i),n.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let t=ce(e).nextSibling;ce(e).remove(),e=t}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},D=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,n,r,i){this.type=1,this._$AH=w,this._$AN=void 0,this.element=e,this.name=t,this._$AM=r,this.options=i,n.length>2||n[0]!==``||n[1]!==``?(this._$AH=Array(n.length-1).fill(new String),this.strings=n):this._$AH=w}_$AI(e,t=this,n,r){let i=this.strings,a=!1;if(i===void 0)e=E(this,e,t,0),a=!b(e)||e!==this._$AH&&e!==C,a&&(this._$AH=e);else{let r=e,o,s;for(e=i[0],o=0;o<i.length-1;o++)s=E(this,r[n+o],t,o),s===C&&(s=this._$AH[o]),a||=!b(s)||s!==this._$AH[o],s===w?e=w:e!==w&&(e+=(s??``)+i[o+1]),this._$AH[o]=s}a&&!r&&this.j(e)}j(e){e===w?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??``)}},ke=class extends D{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===w?void 0:e}},Ae=class extends D{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==w)}},je=class extends D{constructor(e,t,n,r,i){super(e,t,n,r,i),this.type=5}_$AI(e,t=this){if((e=E(this,e,t,0)??w)===C)return;let n=this._$AH,r=e===w&&n!==w||e.capture!==n.capture||e.once!==n.once||e.passive!==n.passive,i=e!==w&&(n===w||r);r&&this.element.removeEventListener(this.name,this,n),i&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH==`function`?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},Me=class{constructor(e,t,n){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=n}get _$AU(){return this._$AM._$AU}_$AI(e){E(this,e)}},Ne={M:de,P:_,A:fe,C:1,L:Te,R:De,D:he,V:E,I:Oe,H:D,N:Ae,U:je,B:ke,F:Me},Pe=se.litHtmlPolyfillSupport;Pe?.(Ee,Oe),(se.litHtmlVersions??=[]).push(`3.3.3`);var Fe=(e,t,n)=>{let r=n?.renderBefore??t,i=r._$litPart$;if(i===void 0){let e=n?.renderBefore??null;r._$litPart$=i=new Oe(t.insertBefore(y(),e),e,void 0,n??{})}return i._$AI(e),i},Ie=globalThis,O=class extends g{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=Fe(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return C}};O._$litElement$=!0,O.finalized=!0,Ie.litElementHydrateSupport?.({LitElement:O});var Le=Ie.litElementPolyfillSupport;Le?.({LitElement:O}),(Ie.litElementVersions??=[]).push(`4.2.2`);var Re=`forge-code-editor`;function ze(e,t){e.dispatchEvent(new CustomEvent(`value-changed`,{detail:{value:t},bubbles:!0,composed:!0}))}var Be=class extends O{static properties={value:{attribute:!1},markers:{attribute:!1}};constructor(){super(),this.value=``,this.markers=[]}static styles=o`
    textarea {
      box-sizing: border-box;
      width: 100%;
      min-height: 360px;
      font-family: var(--code-font-family, ui-monospace, Menlo, Consolas, monospace);
      font-size: 13px;
      tab-size: 2;
      color: inherit;
      background: transparent;
      border: 0;
      padding: 8px;
      resize: vertical;
    }
  `;revealLine(e){let t=this.renderRoot.querySelector(`textarea`);if(!t)return;let n=this.value.split(`
`),r=n.slice(0,Math.max(0,e-1)).reduce((e,t)=>e+t.length+1,0);t.focus(),t.setSelectionRange(r,r+(n[e-1]?.length??0))}render(){return S`<textarea spellcheck="false" aria-label="YAML" .value=${this.value}
      @input=${e=>{this.value=e.target.value,ze(this,this.value)}}></textarea>`}};function Ve(){customElements.get(`forge-code-editor`)||customElements.define(Re,Be)}var He=null;function Ue(){return customElements.get(`ha-code-editor`)?Promise.resolve(!0):(He??=(async()=>{try{await((await window.loadCardHelpers?.())?.createCardElement({type:`markdown`,content:``})?.constructor)?.getConfigElement?.()}catch{}return await Promise.race([customElements.whenDefined(`ha-code-editor`),new Promise(e=>setTimeout(e,5e3))]),customElements.get(`ha-code-editor`)!==void 0})(),He)}var We=class extends O{static properties={value:{attribute:!1},markers:{attribute:!1},ready:{state:!0}};constructor(){super(),this.value=``,this.markers=[],this.ready=null}static styles=o`
    :host {
      display: block;
    }
    ha-code-editor {
      --code-mirror-height: auto;
      min-height: 360px;
    }
  `;connectedCallback(){super.connectedCallback(),this.ready===null&&Ue().then(e=>this.ready=e)}revealLine(e){let t=this.renderRoot.querySelector(`ha-code-editor, forge-textarea-editor`);if(t&&`revealLine`in t&&typeof t.revealLine==`function`)return t.revealLine(e);let n=t?.codemirror;if(!n)return;let r=n.state.doc.line(Math.min(Math.max(1,e),n.state.doc.lines));n.dispatch({selection:{anchor:r.from,head:r.to},scrollIntoView:!0}),n.focus()}render(){return this.ready===null?S`<p class="muted">Loading the editor…</p>`:this.ready?S`<ha-code-editor mode="yaml" .value=${this.value} autofocus
      @value-changed=${e=>this.changed(e)}></ha-code-editor>`:S`<forge-textarea-editor .value=${this.value} .markers=${this.markers}
        @value-changed=${e=>this.changed(e)}></forge-textarea-editor>`}changed(e){e.stopPropagation(),this.value=e.detail.value,ze(this,this.value)}};customElements.get(`forge-textarea-editor`)||customElements.define(`forge-textarea-editor`,class extends Be{}),customElements.get(`forge-code-editor`)||customElements.define(Re,We);var Ge=class{minMs;maxMs;random;attempt=0;constructor(e={}){this.minMs=e.minMs??500,this.maxMs=e.maxMs??3e4,this.random=e.random??Math.random}next(){let e=Math.min(this.maxMs,this.minMs*2**Math.min(this.attempt,30));return this.attempt++,Math.round(e/2+e/2*this.random())}reset(){this.attempt=0}};function Ke(e,t){let n=e.charCodeAt(t);return n<128?1:n<2048?2:n>=55296&&n<=56319&&t+1<e.length&&(e.charCodeAt(t+1)&64512)==56320?4:3}function qe(e){let t=0;for(let n=0;n<e.length;){let r=Ke(e,n);t+=r,n+=r===4?2:1}return t}function Je(e,t){let n=0,r=0;for(;r<e.length&&n<t;){let t=Ke(e,r);n+=t,r+=t===4?2:1}return e.slice(r)}var Ye=class{jobId;next;started=!1;ended=!1;constructor(e,t){this.jobId=e,this.next=t}accept(e){if(e.jobId!==this.jobId)return[];if(e.type===`log_end`)return this.ended?[]:(this.ended=!0,[{kind:`end`,state:e.state}]);let t=[],n=qe(e.chunk),r=e.offset+n,i=!this.started;if(this.started=!0,r<=this.next&&n>0)return t;let a=e.chunk;return e.offset>this.next?t.push(e.truncatedBefore?{kind:`truncated`}:{kind:`gap`,bytes:e.offset-this.next}):e.offset<this.next?a=Je(a,this.next-e.offset):i&&e.truncatedBefore&&e.offset>0&&t.push({kind:`truncated`}),a&&t.push({kind:`text`,text:a}),this.next=Math.max(this.next,r),t}},Xe=new Set([`succeeded`,`failed`,`cancelled`,`timed_out`]),Ze=e=>!Xe.has(e.state);function Qe(e=`connecting`){return{status:e,error:null,since:null,loaded:!1,seq:-1,devices:new Map,jobs:new Map,workers:new Map,schedules:new Map,alerts:new Map,esphomeRelease:null,workspace:null}}function $e(e,t,n=null,r=null,i=()=>new Date){let a=t===`live`?null:r??e.since??(t===`connecting`?null:i().toISOString());return e.status===t&&e.error===n&&e.since===a?e:{...e,status:t,error:n,since:a}}function k(e,t,n,r){if(r===`remove`||n==null){if(!e.has(t))return e;let n=new Map(e);return n.delete(t),n}let i=new Map(e);return i.set(t,n),i}function et(e,t=200){let n=0;for(let t of e.values())Ze(t)||n++;if(n<=t)return e;let r=[...e.values()].filter(e=>!Ze(e)).sort((e,t)=>(e.finishedAt??e.updatedAt).localeCompare(t.finishedAt??t.updatedAt)||e.id-t.id).slice(0,n-t),i=new Map(e);for(let e of r)i.delete(e.id);return i}function tt(e,t){if(t.type===`snapshot`)return{status:`live`,error:null,since:null,loaded:!0,seq:t.seq,devices:new Map(t.devices.map(e=>[e.id,e])),jobs:et(new Map(t.jobs.map(e=>[e.id,e]))),workers:new Map(t.workers.map(e=>[e.id,e])),schedules:new Map((t.schedules??[]).map(e=>[e.id,e])),alerts:new Map((t.alerts??[]).map(e=>[e.id,e])),esphomeRelease:t.esphomeRelease??null,workspace:t.workspace??null};if(!e.loaded||t.seq<=e.seq)return e;let n=t.seq;switch(t.type){case`device`:return{...e,seq:n,devices:k(e.devices,t.id,t.device,t.op)};case`job`:return{...e,seq:n,jobs:et(k(e.jobs,t.id,t.job,t.op))};case`worker`:return{...e,seq:n,workers:k(e.workers,t.id,t.worker,t.op)};case`schedule`:return{...e,seq:n,schedules:k(e.schedules,t.id,t.schedule,t.op)};case`alert`:return{...e,seq:n,alerts:k(e.alerts,t.id,t.alert,t.op)};case`release`:return{...e,seq:n,esphomeRelease:t.release};case`workspace`:return{...e,seq:n,workspace:t.status}}}var nt=class{lifecycle;current=Qe();listeners=new Set;constructor(e){this.lifecycle=e}get state(){return this.current}get listenerCount(){return this.listeners.size}subscribe(e){return this.listeners.add(e),this.listeners.size===1&&this.lifecycle.start(),e(this.current),()=>{this.listeners.delete(e)&&this.listeners.size===0&&(this.lifecycle.stop(),this.current=Qe())}}apply(e){this.set(tt(this.current,e))}status(e,t=null,n=null){this.set($e(this.current,e,t,n))}set(e){if(e!==this.current){this.current=e;for(let t of[...this.listeners])t(e)}}},A=class extends Error{code;status;details;constructor(e,t=`error`,n=null,r=null){super(e),this.code=t,this.status=n,this.details=r,this.name=`ForgeError`}};function j(e){if(e instanceof A)return e;if(e instanceof Error)return new A(e.message);if(e&&typeof e==`object`){let t=e,n=t.error&&typeof t.error==`object`?t.error:t;return new A(typeof n.message==`string`&&n.message?n.message:JSON.stringify(e),typeof n.code==`string`?n.code:typeof n.code==`number`?String(n.code):`error`)}return new A(String(e))}var rt=class{load;delayMs;listeners=new Set;current={status:null,error:null};timer=null;inFlight=!1;again=!1;constructor(e,t=400){this.load=e,this.delayMs=t}get update(){return this.current}subscribe(e){return this.listeners.add(e),e(this.current),this.listeners.size===1&&this.refresh(0),()=>{this.listeners.delete(e),this.listeners.size===0&&this.timer&&(clearTimeout(this.timer),this.timer=null)}}refresh(e=this.delayMs){this.listeners.size===0||this.timer||(this.timer=setTimeout(()=>{this.timer=null,this.fetch()},e))}async fetch(){if(this.inFlight)this.again=!0;else{this.inFlight=!0;try{this.set({status:await this.load(),error:null})}catch(e){this.set({status:this.current.status,error:j(e).message})}finally{this.inFlight=!1,this.again&&(this.again=!1,this.refresh())}}}set(e){this.current=e;for(let t of[...this.listeners])t(e)}};function it(e,t){return at(e)!==at(t)}var at=e=>e?JSON.stringify([e.trust,e.trustPolicy??null]):``,M={read:`esphome_forge/config_read`,save:`esphome_forge/config_save`,history:`esphome_forge/config_history`,diff:`esphome_forge/config_diff`,restore:`esphome_forge/config_restore`,templates:`esphome_forge/config_templates`,create:`esphome_forge/device_create`,signedOta:`esphome_forge/config_signed_ota`,applySignedOta:`esphome_forge/config_signed_ota_apply`};function ot(e){let t=(e,t)=>t===void 0?{}:{[e]:t};return{read:(n,r)=>e(M.read,{device_id:n,...t(`path`,r)}),async save(n,r,i,a){let o=await e(M.save,{device_id:n,content:r,sha256:i,...t(`path`,a)});if(o.conflict)throw new A(o.message??`the file changed since you loaded it`,`conflict`,409,o.conflict);return o.saved},history:(t,n,r)=>e(M.history,{device_id:t,offset:n,limit:r}),diff:(n,r,i)=>e(M.diff,{device_id:n,from:r,...t(`to`,i)}),restore:(t,n)=>e(M.restore,{device_id:t,commit:n}),templates:()=>e(M.templates,{}),signedOta:t=>e(M.signedOta,{device_id:t}),applySignedOta:(t,n)=>e(M.applySignedOta,{device_id:t,sha256:n}),create:n=>e(M.create,{name:n.name,template:n.template,...t(`friendly_name`,n.friendlyName),...t(`board`,n.board)})}}var N={subscribe:`esphome_forge/subscribe`,jobLog:`esphome_forge/job_log`,compile:`esphome_forge/compile`,upload:`esphome_forge/upload`,cancel:`esphome_forge/cancel`,trustStatus:`esphome_forge/trust_status`,scheduleCreate:`esphome_forge/schedules/create`,scheduleUpdate:`esphome_forge/schedules/update`,scheduleDelete:`esphome_forge/schedules/delete`,scheduleRun:`esphome_forge/schedules/run`,routingRules:`esphome_forge/routing_rules`,routingRulesSet:`esphome_forge/routing_rules/set`,workerApprove:`esphome_forge/worker_approve`,workerReject:`esphome_forge/worker_reject`};function st(e){let t=j(e);return t.code===`unknown_command`?new A(`The Forge for ESPHome integration is not loaded in Home Assistant (add it under Settings → Devices & services).`,t.code):t.code===`unauthorized`?new A(`Only Home Assistant administrators can do this (${t.message}).`,t.code):t}var ct=class{connection;entryId;kind=`ha`;hub=new nt({start:()=>this.start(),stop:()=>this.stop()});unsubscribe=null;retryTimer=null;backoff=new Ge({minMs:2e3,maxMs:3e4});onDisconnected=()=>this.hub.status(`reconnecting`,`Home Assistant connection lost; reconnecting…`);onReady=()=>this.hub.status(`connecting`);trustStatus;schedules;routing;enrolment;constructor(e,t=null,n=!0){this.connection=e,this.entryId=t,this.trustStatus=n?new rt(()=>this.call(N.trustStatus,{})):void 0,this.schedules=n?{create:e=>this.call(N.scheduleCreate,{schedule:e}),update:(e,t)=>this.call(N.scheduleUpdate,{schedule_id:e,patch:t}),remove:async e=>void await this.call(N.scheduleDelete,{schedule_id:e}),run:e=>this.call(N.scheduleRun,{schedule_id:e})}:void 0,this.routing=n?{get:()=>this.call(N.routingRules,{}),set:e=>this.call(N.routingRulesSet,{rules:e})}:void 0,this.enrolment=n?{approve:async(e,t)=>void await this.call(N.workerApprove,{worker_id:e,fingerprint:t}),reject:async e=>void await this.call(N.workerReject,{worker_id:e})}:void 0}get state(){return this.hub.state}subscribe(e){return this.hub.subscribe(e)}subscribeLog(e,t,n){let r=new Ye(e,t),i=!1,a=this.connection.subscribeMessage(e=>{if(!i)for(let t of r.accept(e))n(t)},this.message(N.jobLog,{job_id:e,offset:t}),{resubscribe:!0}).catch(e=>(i||n({kind:`error`,message:st(e).message}),null));return()=>{i=!0,a.then(e=>e?.().catch(()=>void 0))}}workspace=ot((e,t)=>this.call(e,t));compile(e,t){return this.call(N.compile,{device_ids:e,upload:t.upload,...t.whenOnline?{when_online:!0}:{}})}upload(e,t={}){return this.call(N.upload,{device_ids:e,...t.whenOnline?{when_online:!0}:{}})}cancel(e){return this.call(N.cancel,{job_id:e})}async call(e,t){try{return await this.connection.sendMessagePromise(this.message(e,t))}catch(e){throw st(e)}}message(e,t={}){return this.entryId?{type:e,...t,entry_id:this.entryId}:{type:e,...t}}start(){this.connection.addEventListener?.(`disconnected`,this.onDisconnected),this.connection.addEventListener?.(`ready`,this.onReady),this.subscribeState()}subscribeState(){this.retryTimer=null,this.unsubscribe=this.connection.subscribeMessage(e=>this.onEvent(e),this.message(N.subscribe),{resubscribe:!0}).catch(e=>{let t=st(e);return this.hub.status(`error`,t.message),this.unsubscribe&&(this.retryTimer=setTimeout(()=>this.subscribeState(),this.backoff.next())),null})}onEvent(e){this.backoff.reset(),e.type===`unreachable`?this.hub.status(`unreachable`,e.error,e.since):((e.type===`snapshot`||e.type===`device`&&it(this.hub.state.devices.get(e.id),e.device))&&this.trustStatus?.refresh(),this.hub.apply(e))}stop(){this.connection.removeEventListener?.(`disconnected`,this.onDisconnected),this.connection.removeEventListener?.(`ready`,this.onReady),this.retryTimer&&clearTimeout(this.retryTimer),this.retryTimer=null;let e=this.unsubscribe;this.unsubscribe=null,e?.then(e=>e?.().catch(()=>void 0))}};function P(e,t=Date.now()){if(!e)return`never`;let n=Date.parse(e);if(Number.isNaN(n))return`—`;let r=Math.round((t-n)/1e3);if(r<-5)return`in the future`;if(r<10)return`just now`;if(r<60)return`${r} s ago`;let i=Math.floor(r/60);if(i<60)return`${i} min ago`;let a=Math.floor(i/60);if(a<24)return`${a} h ago`;let o=Math.floor(a/24);return o<7?`${o} d ago`:new Date(n).toISOString().slice(0,10)}var F=e=>String(e).padStart(2,`0`);function I(e){if(!e)return``;let t=Date.parse(e);if(Number.isNaN(t))return e;let n=new Date(t);return`${n.getFullYear()}-${F(n.getMonth()+1)}-${F(n.getDate())} ${F(n.getHours())}:${F(n.getMinutes())}:${F(n.getSeconds())}`}function lt(e,t=Date.now()){if(!e)return``;let n=Date.parse(e);if(Number.isNaN(n))return e;let r=new Date(n),i=new Date(t),a=`${F(r.getHours())}:${F(r.getMinutes())}`;return r.getFullYear()===i.getFullYear()&&r.getMonth()===i.getMonth()&&r.getDate()===i.getDate()?a:`${r.getFullYear()}-${F(r.getMonth()+1)}-${F(r.getDate())} ${a}`}var ut=(e,t)=>e?` since ${lt(e,t)} (${P(e,t)})`:``;function dt(e,t,n=Date.now()){let r=ut(e.since,n),i=e.loaded?`Showing the last known state; `:``;switch(e.status===`connecting`&&e.since?`reconnecting`:e.status){case`live`:return null;case`connecting`:return{tone:`tone-info`,title:`Connecting…`,detail:``,cause:null,paused:null};case`reconnecting`:return{tone:`tone-warn`,title:t===`ha`?`Connection to Home Assistant lost${r}`:`Forge sidecar unreachable${r}`,detail:`${i}reconnecting… Actions are paused until the connection is back.`,cause:e.error,paused:t===`ha`?`Paused: no connection to Home Assistant`:`Paused: the sidecar is unreachable`};case`unreachable`:return{tone:`tone-bad`,title:`Forge sidecar unreachable${r}`,detail:`${i}Home Assistant keeps trying to reconnect. Actions are paused until the sidecar is back.`,cause:e.error,paused:`Paused: Home Assistant cannot reach the Forge sidecar`};case`unauthorized`:return{tone:`tone-bad`,title:`Not authorised`,detail:`The sidecar refused the token.`,cause:e.error,paused:`Not authorised`};case`error`:return{tone:`tone-bad`,title:`Cannot load Forge data`,detail:e.error??``,cause:null,paused:`Paused: Forge data is not available`}}}var ft=Object.freeze({textfield:!1,select:!1,checkbox:!1}),pt=[`ha-textfield`,`ha-select`,`ha-list-item`,`ha-checkbox`];function mt(){let e=e=>customElements.get(e)!==void 0;return{textfield:e(`ha-textfield`),select:e(`ha-select`)&&e(`ha-list-item`),checkbox:e(`ha-checkbox`)}}var ht=(e,t)=>e.textfield===t.textfield&&e.select===t.select&&e.checkbox===t.checkbox,gt=e=>e.target.value,_t=e=>e.target.checked;function vt(e,t){return e.textfield?S`<ha-textfield
        class="search"
        type="search"
        .label=${t.label}
        .value=${t.value}
        @input=${e=>t.onInput(gt(e))}
      ></ha-textfield>`:S`<input
        class="search"
        type="search"
        placeholder=${t.label}
        aria-label=${t.label}
        .value=${t.value}
        @input=${e=>t.onInput(gt(e))}
      />`}function yt(e,t){return e.select?S`<ha-select
    .label=${t.label}
    .value=${t.value}
    fixedMenuPosition
    naturalMenuWidth
    @selected=${e=>{let n=gt(e);n&&n!==t.value&&t.onChange(n)}}
    @closed=${e=>e.stopPropagation()}
  >
    ${t.options.map(([e,t])=>S`<ha-list-item .value=${e}>${t}</ha-list-item>`)}
  </ha-select>`:S`<select
      aria-label=${t.label}
      .value=${t.value}
      @change=${e=>t.onChange(gt(e))}
    >
      ${t.options.map(([e,n])=>S`<option value=${e} ?selected=${e===t.value}>${n}</option>`)}
    </select>`}function bt(e,t){return e.checkbox?S`<ha-checkbox
        aria-label=${t.label}
        .checked=${t.checked}
        .indeterminate=${t.indeterminate??!1}
        ?disabled=${t.disabled??!1}
        @change=${e=>t.onChange(_t(e))}
      ></ha-checkbox>`:S`<input
        type="checkbox"
        aria-label=${t.label}
        .checked=${t.checked}
        .indeterminate=${t.indeterminate??!1}
        ?disabled=${t.disabled??!1}
        @change=${e=>t.onChange(_t(e))}
      />`}var L=Object.freeze({mode:`enabled`}),xt=e=>e.mode===`enabled`?w:e.reason,St=`forge-action`;function R(e,t){e.dispatchEvent(new CustomEvent(St,{detail:t,bubbles:!0,composed:!0}))}var z=o`
  :host {
    color: var(--primary-text-color, #212121);
    font-family: var(--ha-font-family-body, var(--mdc-typography-font-family, Roboto, "Noto Sans", system-ui, sans-serif));
    font-size: var(--ha-font-size-m, 14px);
    line-height: 1.4;
    --forge-ok: var(--success-color, #2e7d32);
    --forge-warn: var(--warning-color, #b26a00);
    --forge-bad: var(--error-color, #c62828);
    --forge-info: var(--info-color, #0277bd);
    --forge-muted: var(--secondary-text-color, #5f6368);
    --forge-divider: var(--divider-color, rgba(0, 0, 0, 0.12));
    --forge-accent: var(--primary-color, #03a9f4);
    --forge-surface: var(--card-background-color, var(--ha-card-background, #fff));
    --forge-surface-2: var(--secondary-background-color, #f5f5f5);
  }
  [hidden] {
    display: none !important;
  }
  .muted {
    color: var(--forge-muted);
  }
  .mono {
    font-family: var(--code-font-family, ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace);
    font-size: 0.92em;
  }
  button.btn {
    font: inherit;
    font-size: 0.86em;
    font-weight: 500;
    color: var(--forge-accent);
    background: transparent;
    border: 1px solid color-mix(in srgb, var(--forge-accent) 45%, transparent);
    border-radius: 6px;
    padding: 3px 9px;
    min-height: 28px;
    cursor: pointer;
    white-space: nowrap;
  }
  button.btn:hover:not(:disabled) {
    background: color-mix(in srgb, var(--forge-accent) 12%, transparent);
  }
  button.btn:disabled {
    color: var(--disabled-text-color, #9e9e9e);
    border-color: var(--forge-divider);
    cursor: default;
  }
  button.btn.primary {
    background: var(--forge-accent);
    color: var(--text-primary-color, #fff);
    border-color: var(--forge-accent);
  }
  button.btn.danger {
    color: var(--forge-bad);
    border-color: color-mix(in srgb, var(--forge-bad) 45%, transparent);
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  [tabindex]:focus-visible {
    outline: 2px solid var(--forge-accent);
    outline-offset: 2px;
  }
  .chip {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    border-radius: 999px;
    padding: 0 8px;
    font-size: 0.8em;
    font-weight: 500;
    line-height: 1.7;
    white-space: nowrap;
    color: var(--tone, var(--forge-muted));
    background: color-mix(in srgb, var(--tone, var(--forge-muted)) 14%, transparent);
  }
  .tone-ok {
    --tone: var(--forge-ok);
  }
  .tone-warn {
    --tone: var(--forge-warn);
  }
  .tone-bad {
    --tone: var(--forge-bad);
  }
  .tone-info {
    --tone: var(--forge-info);
  }
  .tone-neutral {
    --tone: var(--forge-muted);
  }
  .error-text {
    color: var(--forge-bad);
  }
  input[type="search"],
  input[type="text"],
  input[type="password"],
  select {
    font: inherit;
    color: inherit;
    background: var(--forge-surface);
    border: 1px solid var(--forge-divider);
    border-radius: 6px;
    padding: 5px 8px;
    min-height: 32px;
    box-sizing: border-box;
  }
  .progress {
    height: 4px;
    border-radius: 2px;
    background: color-mix(in srgb, var(--forge-accent) 18%, transparent);
    overflow: hidden;
  }
  .progress > div {
    height: 100%;
    background: var(--forge-accent);
    transition: width 0.3s ease;
  }
  .progress.indeterminate > div {
    width: 30%;
    animation: slide 1.4s ease-in-out infinite;
  }
  @keyframes slide {
    from {
      transform: translateX(-100%);
    }
    to {
      transform: translateX(340%);
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .progress.indeterminate > div {
      animation: none;
      width: 100%;
      opacity: 0.5;
    }
  }
`;function B(e){switch(e){case`succeeded`:return`tone-ok`;case`failed`:case`timed_out`:return`tone-bad`;case`cancelled`:return`tone-warn`;case`running`:case`queued`:case`blocked`:case`waiting_for_device`:return`tone-info`;default:return`tone-neutral`}}var V={validate:`validate`,compile:`compile`,compile_upload:`compile & upload`,upload:`upload`},H=[`devices`,`queue`,`workers`,`schedules`,`routing`],Ct={devices:`Devices`,queue:`Queue`,workers:`Workers`,schedules:`Schedules`,routing:`Routing`},wt=class extends O{static properties={heading:{state:!0},message:{state:!0},confirmLabel:{state:!0}};resolve=null;constructor(){super(),this.heading=``,this.message=``,this.confirmLabel=`OK`}static styles=[z,o`
      dialog {
        border: 0;
        border-radius: 12px;
        padding: 20px;
        max-width: min(440px, 90vw);
        background: var(--forge-surface);
        color: var(--primary-text-color, #212121);
        box-shadow: 0 10px 40px rgba(0, 0, 0, 0.3);
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.4);
      }
      h2 {
        margin: 0 0 8px;
        font-size: 1.15em;
      }
      .buttons {
        display: flex;
        justify-content: flex-end;
        gap: 8px;
        margin-top: 16px;
      }
    `];async ask(e,t,n=`OK`){this.resolve?.(!1),this.heading=e,this.message=t,this.confirmLabel=n,await this.updateComplete;let r=this.renderRoot.querySelector(`dialog`);return r.open||r.showModal(),this.renderRoot.querySelector(`button.cancel`)?.focus(),new Promise(e=>this.resolve=e)}finish(e){let t=this.renderRoot.querySelector(`dialog`);t?.open&&t.close();let n=this.resolve;this.resolve=null,n?.(e)}render(){return S`<dialog role="alertdialog" aria-labelledby="h" aria-describedby="m" @cancel=${()=>this.finish(!1)}>
      <h2 id="h">${this.heading}</h2>
      <div id="m">${this.message}</div>
      <div class="buttons">
        <button class="btn cancel" @click=${()=>this.finish(!1)}>Cancel</button>
        <button class="btn primary confirm" @click=${()=>this.finish(!0)}>${this.confirmLabel}</button>
      </div>
    </dialog>`}};customElements.get(`forge-confirm-dialog`)||customElements.define(`forge-confirm-dialog`,wt);var Tt={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},Et=e=>(...t)=>({_$litDirective$:e,values:t}),Dt=class{constructor(e){}get _$AU(){return this._$AM._$AU}_$AT(e,t,n){this._$Ct=e,this._$AM=t,this._$Ci=n}_$AS(e,t){return this.update(e,t)}update(e,t){return this.render(...t)}},{I:Ot}=Ne,kt=e=>e,At=()=>document.createComment(``),U=(e,t,n)=>{let r=e._$AA.parentNode,i=t===void 0?e._$AB:t._$AA;if(n===void 0)n=new Ot(r.insertBefore(At(),i),r.insertBefore(At(),i),e,e.options);else{let t=n._$AB.nextSibling,a=n._$AM,o=a!==e;if(o){let t;n._$AQ?.(e),n._$AM=e,n._$AP!==void 0&&(t=e._$AU)!==a._$AU&&n._$AP(t)}if(t!==i||o){let e=n._$AA;for(;e!==t;){let t=kt(e).nextSibling;kt(r).insertBefore(e,i),e=t}}}return n},W=(e,t,n=e)=>(e._$AI(t,n),e),jt={},Mt=(e,t=jt)=>e._$AH=t,Nt=e=>e._$AH,Pt=e=>{e._$AR(),e._$AA.remove()},Ft=(e,t,n)=>{let r=new Map;for(let i=t;i<=n;i++)r.set(e[i],i);return r},It=Et(class extends Dt{constructor(e){if(super(e),e.type!==Tt.CHILD)throw Error(`repeat() can only be used in text expressions`)}dt(e,t,n){let r;n===void 0?n=t:t!==void 0&&(r=t);let i=[],a=[],o=0;for(let t of e)i[o]=r?r(t,o):o,a[o]=n(t,o),o++;return{values:a,keys:i}}render(e,t,n){return this.dt(e,t,n).values}update(e,[t,n,r]){let i=Nt(e),{values:a,keys:o}=this.dt(t,n,r);if(!Array.isArray(i))return this.ut=o,a;let s=this.ut??=[],c=[],l,u,d=0,f=i.length-1,p=0,m=a.length-1;for(;d<=f&&p<=m;)if(i[d]===null)d++;else if(i[f]===null)f--;else if(s[d]===o[p])c[p]=W(i[d],a[p]),d++,p++;else if(s[f]===o[m])c[m]=W(i[f],a[m]),f--,m--;else if(s[d]===o[m])c[m]=W(i[d],a[m]),U(e,c[m+1],i[d]),d++,m--;else if(s[f]===o[p])c[p]=W(i[f],a[p]),U(e,i[d],i[f]),f--,p++;else if(l===void 0&&(l=Ft(o,p,m),u=Ft(s,d,f)),l.has(s[d])){if(l.has(s[f])){let t=u.get(o[p]),n=t===void 0?null:i[t];if(n===null){let t=U(e,i[d]);W(t,a[p]),c[p]=t}else c[p]=W(n,a[p]),U(e,i[d],n),i[t]=null;p++}else Pt(i[f]),f--}else Pt(i[d]),d++;for(;p<=m;){let t=U(e,c[m+1]);W(t,a[p]),c[p++]=t}for(;d<=f;){let e=i[d++];e!==null&&Pt(e)}return this.ut=o,Mt(e,c),C}}),G=[`online`,`version`,`status`,`trust`,`last_build`],Lt={online:`Online`,version:`Firmware`,status:`Build status`,trust:`Trust`,last_build:`Last build`},Rt={online:`minmax(56px, 0.5fr)`,version:`minmax(100px, 1fr)`,status:`minmax(120px, 1.3fr)`,trust:`minmax(80px, 0.7fr)`,last_build:`minmax(84px, 0.8fr)`};function zt(e,{wide:t=!0,select:n=!0}={}){return[n?`32px`:`0px`,`minmax(130px, 1.6fr)`,...e.map(e=>Rt[e]),...t?[n?`312px`:`64px`]:[]].join(` `)}var Bt=e=>e>=48&&e<=57;function Vt(e,t){let n=e.toLowerCase(),r=t.toLowerCase(),i=0,a=0;for(;i<n.length&&a<r.length;){let e=n.charCodeAt(i),t=r.charCodeAt(a);if(Bt(e)&&Bt(t)){let e=i,t=a;for(;e<n.length&&Bt(n.charCodeAt(e));)e++;for(;t<r.length&&Bt(r.charCodeAt(t));)t++;let o=n.slice(i,e).replace(/^0+(?=\d)/,``),s=r.slice(a,t).replace(/^0+(?=\d)/,``);if(o.length!==s.length)return o.length-s.length;if(o!==s)return o<s?-1:1;i=e,a=t}else{if(e!==t)return e-t;i++,a++}}return n.length-i-(r.length-a)}var Ht={verified:`ok`,device_enforced:`ok`,unknown:`neutral`,unsigned:`warn`,stale:`warn`,unknown_signer:`warn`,invalid:`bad`,revoked:`bad`},Ut=e=>Ht[e]??`neutral`,Wt={verified:`verified`,device_enforced:`verified · device-enforced`,unknown:`unknown`,unsigned:`unsigned`,stale:`stale`,unknown_signer:`unknown signer`,invalid:`invalid`,revoked:`revoked`},Gt=new Set([`unsigned`,`stale`,`unknown_signer`,`invalid`,`revoked`]),Kt=e=>Gt.has(e.trust.running.state)||Gt.has(e.trust.pending.state);function qt(e,t){let n=t.signer?`, signer ${t.signer}`:``,r=t.buildSequence==null?``:`, build #${t.buildSequence}`;return`${e}: ${Wt[t.state]??t.state}${n}${r} — ${t.reason||`no reason given`}`}var Jt={allowed:`allowed`,warned:`flashed with a warning`,blocked:`blocked`},Yt={approval:`at the build's approval`,gate:`at the upload gate`};function Xt(e){let t=Wt[e.state]??e.state;return e.outcome===`blocked`?{tone:`bad`,label:`blocked · ${t}`}:{tone:Ut(e.state),label:e.outcome===`warned`?`${t} · warned`:t}}function Zt(e){return`${qt(`Content trust`,e)}. Policy ${e.policy}: ${Jt[e.outcome]??e.outcome} ${Yt[e.stage]??e.stage}.`}var Qt=e=>e?.outcome===`blocked`?`blocked by content trust: ${e.reason||Wt[e.state]||e.state}`:null,$t={enforce:`This device's own trust policy: enforce — only verified firmware is flashed`,warn:`This device's own trust policy: warn — firmware that is not verified is flashed anyway, with a warning in the job log`,off:`This device's own trust policy: off — firmware is flashed without any trust check`},en=(e,t)=>(e.finishedAt??e.updatedAt)>(t.finishedAt??t.updatedAt)||(e.finishedAt??e.updatedAt)===(t.finishedAt??t.updatedAt)&&e.id>t.id;function tn(e){let t=new Map;for(let n of e.values()){let e=t.get(n.deviceId);if(e||t.set(n.deviceId,e={active:null,last:null}),Ze(n)){let t=e.active;(!t||n.state===`running`&&t.state!==`running`||n.state===t.state&&n.id>t.id)&&(e.active=n)}else(!e.last||en(n,e.last))&&(e.last=n)}return t}function nn(e,t){if(e.error)return`error`;if(t?.active){let e=t.active.state;return e===`running`?`running`:e===`waiting_for_device`?`armed`:`queued`}let n=t?.last?.state??e.lastBuild?.state;return n===`failed`||n===`timed_out`?`failed`:e.outdated?e.lastBuild?`outdated`:`never`:`ok`}var rn={error:0,running:1,queued:2,armed:3,failed:4,outdated:5,never:6,ok:7},an=[`all`,`outdated`,`failed`,`untrusted`,`building`],on={text:``,tags:[],state:`all`,sort:`name`,descending:!1},sn=e=>e.friendlyName||e.name||e.id,cn=e=>e.targetVersion??e.pinnedVersion??null;function ln(e){return e.storedFirmware===void 0?e.lastBuild?.firmwareSha256??null:e.storedFirmware?.firmwareSha256??null}function un(e,t){return e.running?.esphomeVersion?e.running.esphomeVersion:t?.runningVersion?t.runningVersion:e.lastFlash?.esphomeVersion??null}function dn(e,t){return e.online??t?.online??null}var fn=e=>e.running?.match===`changed_outside_forge`;function pn(e,t){if(e.outdated||fn(e))return!0;let n=cn(e),r=un(e,t);return!!(r&&n&&r!==n)}function mn(e,t){if(!t)return!0;let n=[e.id,e.name,e.friendlyName,e.platform,e.board,e.address,...e.tags].filter(Boolean).join(` `).toLowerCase();return t.toLowerCase().split(/\s+/).filter(Boolean).every(e=>n.includes(e))}function hn(e,t,n,r){if(!mn(e,n.text.trim())||n.tags.length&&!n.tags.every(t=>e.tags.includes(t)))return!1;switch(n.state){case`all`:return!0;case`outdated`:return pn(e,r);case`failed`:return nn(e,t)===`failed`||nn(e,t)===`error`;case`untrusted`:return Kt(e);case`building`:return!!t?.active}}function gn(e,t){return t.length===0||t.some(t=>e.tags.includes(t))}function _n(e){return{jobs:e.sort===`status`||e.state===`failed`||e.state===`building`,presence:e.state===`outdated`}}function vn(e,t,n){let r=t.descending?-1:1,i=(e,t)=>Vt(sn(e),sn(t))||(e.id<t.id?-1:+(e.id>t.id)),a;if(t.sort===`status`)a=(e,t)=>(rn[nn(e,n.get(e.id))]-rn[nn(t,n.get(t.id))])*r||i(e,t);else if(t.sort===`last_build`){let e=e=>e.lastBuild?.finishedAt??``;a=(t,n)=>(e(t)<e(n)?-1:+(e(t)>e(n)))*r||i(t,n)}else a=(e,t)=>i(e,t)*r;return e.sort(a)}function yn(e){let t=new Set;for(let n of e)for(let e of n.tags)t.add(e);return[...t].sort()}var K=e=>e?.state===`waiting_for_device`;function bn(e,t=Date.now(),n=!1){let r=e.waitingUntil?` · until ${lt(e.waitingUntil,t)}`:``;return`Armed · flashes when ${n?`it wakes`:`back online`}${r}`}function xn(e){return[e.blockedReason,e.waitingUntil?`the wait ends ${I(e.waitingUntil)}`:null].filter(Boolean).join(` · `)||`Waiting for the device to come online`}function Sn(e,t){return!!e.deepSleep&&dn(e,t)===!1}function Cn(e){let t=e.storedFirmware;if(!t)return null;let n=e.lastFlash;return n&&(n.firmwareSha256&&n.firmwareSha256===t.firmwareSha256||t.configHash!=null&&t.configHash===n.configHash&&(t.esphomeVersion===n.esphomeVersion||!n.firmwareSha256&&n.jobId>t.jobId))?null:t}function wn(e){return`Staged: build #${e.jobId}, ESPHome ${e.esphomeVersion??`unknown`}`}var Tn=new Set([`revoked`,`invalid`]),En=e=>Tn.has(e.trust.pending.state)?e.trust.pending.state:null;function Dn(e){let t=Cn(e);return t?.current&&!En(e)?t:null}function On(e,t,n,r){let i=[];for(let a of e)t(a)&&!a.error&&pn(a,n.get(a.id))&&!r(a.id)&&i.push(a.id);return i.sort()}var kn=`Build every outdated device now; each is flashed when it is online (an offline or sleeping one when it is back)`;function An(e){let t=e.query,n=e.actions;return S`<div class="toolbar" role="search">
    ${vt(e.kit,{label:`Search devices`,value:t.text,onInput:t=>e.onQuery({text:t})})}
    ${yt(e.kit,{label:`Show devices`,value:t.state,options:an.map(e=>[e,e===`all`?`all devices`:e]),onChange:t=>e.onQuery({state:t})})}
    <span class="muted" aria-live="polite">${e.shown} of ${e.total} devices</span>
    ${e.armable.length&&n.mode!==`hidden`?S`<button class="btn arm-outdated" ?disabled=${n.mode!==`enabled`} title=${n.mode===`enabled`?kn:n.reason}
            @click=${()=>e.onArm()}>Update ${e.armable.length} outdated when online</button>`:w}
    ${e.tags.length?S`<div class="tags" role="group" aria-label="Filter by tag">
            ${e.tags.map(n=>{let r=t.tags.includes(n);return S`<button
                class="chip"
                aria-pressed=${r?`true`:`false`}
                @click=${()=>e.onQuery({tags:r?t.tags.filter(e=>e!==n):[...t.tags,n]})}
              >
                ${n}
              </button>`})}
          </div>`:w}
  </div>`}function jn(e){let t=e.actions;if(!e.selected||t.mode===`hidden`)return w;let n=t.mode!==`enabled`;return S`<div class="bulk" role="region" aria-label="Bulk actions">
    <b>${e.selected} selected</b>
    <button class="btn" ?disabled=${n} title=${xt(t)} @click=${()=>e.onBulk(`compile`)}>Compile</button>
    <button class="btn" ?disabled=${n} title=${xt(t)} @click=${()=>e.onBulk(`compile_upload`)}>Compile &amp; upload</button>
    <button class="btn" ?disabled=${n} title=${xt(t)} @click=${()=>e.onBulk(`upload`)}>Upload stored firmware</button>
    <button class="btn" @click=${()=>e.onClear()}>Clear selection</button>
  </div>`}var Mn=o`
  :host {
    display: block;
  }
  [role="table"] {
    container: forge-devices / inline-size;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
    padding: 8px 12px;
  }
  .toolbar .search {
    flex: 1 1 160px;
    min-width: 120px;
  }
  .toolbar ha-select {
    --ha-select-min-width: 150px;
  }
  .tags {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
  }
  .tags button.chip {
    border: 1px solid transparent;
    cursor: pointer;
    font-family: inherit;
  }
  .tags button.chip[aria-pressed="true"] {
    --tone: var(--forge-accent);
    border-color: var(--forge-accent);
  }
  .head {
    display: grid;
    grid-template-columns: var(--forge-grid);
    column-gap: 10px;
    align-items: center;
    padding: 6px 12px;
    font-size: 0.8em;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.03em;
    color: var(--forge-muted);
  }
  .head button {
    all: unset;
    cursor: pointer;
  }
  .head ha-checkbox {
    --mdc-checkbox-ripple-size: 32px;
    --mdc-checkbox-touch-target-size: 32px;
  }
  .head button:focus-visible {
    outline: 2px solid var(--forge-accent);
  }
  .bulk {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    align-items: center;
    padding: 8px 12px;
    background: color-mix(in srgb, var(--forge-accent) 10%, transparent);
  }
  .empty {
    padding: 24px 12px;
    text-align: center;
    color: var(--forge-muted);
  }
  @container forge-devices (max-width: 1100px) {
    .head {
      grid-template-columns: var(--forge-grid-medium);
    }
    .head .actions-head {
      display: none;
    }
  }
  @container forge-devices (max-width: 700px) {
    .head .opt {
      display: none;
    }
    .head {
      grid-template-columns: var(--forge-select-w, 32px) 1fr auto;
    }
  }
`,Nn=o`
  forge-device-row {
    display: grid;
    grid-template-columns: var(--forge-grid, 28px 1fr auto);
    align-items: center;
    column-gap: 10px;
    padding: var(--forge-row-pad, 8px 12px);
    border-top: 1px solid var(--forge-divider);
    /* Off-screen rows skip style, layout and paint. */
    content-visibility: auto;
    contain-intrinsic-size: auto 64px;
  }
  forge-device-row[selected] {
    background: color-mix(in srgb, var(--forge-accent) 8%, transparent);
  }
  .row [role="cell"] {
    min-width: 0;
  }
  .row .name b {
    display: block;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row .sub {
    font-size: 0.85em;
    color: var(--forge-muted);
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row .sub.staged,
  .row .armed .sub {
    white-space: normal;
  }
  .row .sub.error-text {
    white-space: normal;
    display: -webkit-box;
    -webkit-line-clamp: 2;
    -webkit-box-orient: vertical;
  }
  .row .tags .chip {
    margin-right: 3px;
  }
  /* HA's checkbox, sized to the selection column (its touch target stays 32 px). */
  forge-device-row ha-checkbox {
    --mdc-checkbox-ripple-size: 32px;
    --mdc-checkbox-touch-target-size: 32px;
  }
  .row .online.unknown {
    color: var(--forge-muted);
    font-size: 0.85em;
    white-space: normal;
  }
  .row .online:not(.unknown)::before {
    content: "";
    display: inline-block;
    width: 8px;
    height: 8px;
    border-radius: 50%;
    margin-right: 6px;
    background: var(--tone);
  }
  .row .outdated {
    color: var(--forge-warn);
    font-weight: 600;
    white-space: normal;
  }
  .row .status .progress {
    margin-top: 4px;
  }
  .row .trust button.chip {
    border: 0;
    cursor: pointer;
    font-family: inherit;
  }
  .row .trust .policy {
    margin-left: 4px;
    text-transform: uppercase;
    font-size: 0.7em;
    letter-spacing: 0.03em;
  }
  .row .trust .dot {
    width: 7px;
    height: 7px;
    border-radius: 50%;
    background: var(--tone);
  }
  .row .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    justify-content: flex-end;
  }
  .row .why {
    grid-column: 2 / -1;
    margin-top: 6px;
    font-size: 0.85em;
    color: var(--forge-muted);
  }
  .row .why p {
    margin: 0 0 2px;
  }
  .row .alert {
    grid-column: 1 / -1;
    margin-top: 6px;
    padding: 6px 10px;
    border-radius: 6px;
    color: var(--forge-bad);
    background: color-mix(in srgb, var(--forge-bad) 10%, transparent);
    display: flex;
    justify-content: space-between;
    gap: 8px;
    font-size: 0.9em;
  }
  .row .alert button {
    border: 0;
    background: none;
    color: inherit;
    cursor: pointer;
    font: inherit;
  }
  @container forge-devices (max-width: 1100px) {
    forge-device-row {
      grid-template-columns: var(--forge-grid-medium, 28px 1fr auto);
      row-gap: 6px;
    }
    .row .actions {
      grid-column: 2 / -1;
      justify-content: flex-start;
    }
  }
  @container forge-devices (max-width: 700px) {
    forge-device-row {
      grid-template-columns: var(--forge-select-w, 32px) 1fr 1fr;
      row-gap: 6px;
    }
    .row .name {
      grid-column: 2 / 3;
    }
    .row .online {
      grid-column: 3;
      grid-row: 1;
      justify-self: end;
    }
    .row .version,
    .row .trust {
      grid-column: 2;
    }
    .row .status,
    .row .last {
      grid-column: 3;
    }
    .row .actions {
      grid-column: 2 / -1;
      justify-content: flex-start;
    }
  }
`;function Pn(e){if(e==null||!Number.isFinite(e)||e<0)return`—`;if(e<1e3)return`${Math.round(e)} ms`;let t=Math.floor(e/1e3);if(t<60)return e<1e4?`${(e/1e3).toFixed(1)} s`:`${t} s`;let n=Math.floor(t/3600),r=Math.floor(t%3600/60),i=t%60;return n>0?`${n} h ${String(r).padStart(2,`0`)} min`:`${r} min ${String(i).padStart(2,`0`)} s`}function Fn(e,t=Date.now()){if(!e)return`—`;let n=Date.parse(e);if(Number.isNaN(n))return`—`;let r=Math.floor(Math.max(0,t-n)/1e3)*1e3;return r<6e4?`${r/1e3} s`:Pn(r)}var In=new Set,Ln=null;function Rn(){let e=Date.now();for(let t of In)t.paint(e)}var zn=class extends HTMLElement{sinceIso=null;get since(){return this.sinceIso}set since(e){this.sinceIso=e,this.paint(Date.now())}paint(e){let t=Fn(this.sinceIso,e);this.textContent!==t&&(this.textContent=t)}connectedCallback(){In.add(this),this.paint(Date.now()),Ln??=setInterval(Rn,1e3)}disconnectedCallback(){In.delete(this),In.size===0&&Ln&&(clearInterval(Ln),Ln=null)}};customElements.get(`forge-elapsed`)||customElements.define(`forge-elapsed`,zn);var Bn=e=>e.replace(/_/g,` `),Vn={no_ha:[`not seen yet`,`Forge has not heard this device on the network (mDNS) and Home Assistant has not reported it.`],no_esphome:[`no ESPHome in HA`,`Home Assistant has no ESPHome integration, so it cannot tell whether this device is online. Add the device to the ESPHome integration to see it here.`],no_device:[`not in HA`,`Home Assistant's ESPHome integration has no device matching this one (by MAC address or name), so its online state is unknown.`],no_entities:[`unknown`,`The matching ESPHome device in Home Assistant has no entities whose availability would tell whether it is online.`]};function Hn(e,t){let n=dn(e,t);if(n===null){let[e,n]=Vn[t?.gap??`no_ha`];return S`<div role="cell" class="online unknown" title=${n}>${e}</div>`}let[r,i]=n?[`tone-ok`,`online`]:Sn(e,t)?[`tone-neutral`,`asleep`]:[`tone-bad`,`offline`],a=e.lastSeen?`last seen ${P(e.lastSeen)} (${I(e.lastSeen)})`:null,o=e.presence?` · via ${e.presence.source===`mdns`?`mDNS`:`Home Assistant`}`:``;return S`<div role="cell" class="online ${r}" title=${`${i}${a?` · ${a}`:``}${o}`}>${i}${n===!1&&e.lastSeen?S`<div class="sub">${P(e.lastSeen)}</div>`:w}</div>`}function Un(e,t){let n=un(e,t),r=cn(e),i=pn(e,t),a=e.trust.running.firmwareSha256,o=fn(e);return S`<div role="cell" class="version">
    <div title=${e.running?`reported by ${e.running.source===`mdns`?`the device (mDNS)`:`Home Assistant`}: ${e.running.note}`:t?.swVersion??(n?`flashed by Forge`:a?`running firmware ${a}`:`running version unknown`)}>${n??(a?S`<span class="mono">${a.slice(0,8)}</span>`:S`<span class="muted">unknown</span>`)}${o?S` <span class="chip tone-warn" role="note" title=${e.running?.note??``}>changed outside Forge</span>`:w}</div>
    <div class="sub ${i?`outdated`:``}" title=${i?`Forge would build other firmware than the device runs`:`Forge would build this version`}>
      → ${r??`default`}${i?S` · outdated`:w}
    </div>
    ${Wn(e)}
  </div>`}function Wn(e){let t=Cn(e);if(!t)return w;let n=En(e),[r,i,a]=n?[n,`tone-bad`,`Content trust refuses this image (${n}): Install compiles afresh`]:t.current?[`current`,`tone-ok`,`Built from the config and ESPHome version Forge would build now: Install staged flashes it without recompiling`]:[`not current`,`muted`,`Built from an older config or ESPHome version: Install compiles afresh`];return S`<div class="sub staged" title=${`${a} (firmware ${t.firmwareSha256.slice(0,12)})`}>
    ${wn(t)} · <span class=${i}>${r}</span>
  </div>`}function Gn(e,t,n){if(t&&K(t))return S`<div role="cell" class="status armed" title=${xn(t)}>
      <span class="chip tone-info">armed</span>
      <div class="sub">${bn(t,Date.now(),!!e.deepSleep).replace(/^Armed · /,``)}</div>
    </div>`;if(t){let n=t.state===`running`,r=t.progress;return S`<div role="cell" class="status">
      <span class="chip tone-info">${n?`${t.phase??V[t.action]}${r==null?``:` ${Math.round(r)}%`}`:t.state===`blocked`?`blocked`:`queued`}</span>
      <forge-elapsed class="sub" .since=${n?t.startedAt:t.createdAt}></forge-elapsed>
      ${n?S`<div class="progress ${r==null?`indeterminate`:``}" role="progressbar" aria-label=${`Build progress of ${sn(e)}`}
            aria-valuemin="0" aria-valuemax="100" aria-valuenow=${r==null?w:Math.round(r)}><div style=${r==null?``:`width:${Math.round(r)}%`}></div></div>`:w}
    </div>`}let r=n?.state??e.lastBuild?.state??null;if(!r)return S`<div role="cell" class="status muted">never built</div>`;let i=n&&(n.state===`failed`||n.state===`timed_out`)?n.error:null,a=Qt(n?.trust);return S`<div role="cell" class="status">
    <span class="chip ${B(r)}">${Bn(r)}</span>
    ${a?S`<div class="sub error-text" title=${i??a}>${a}</div>`:i?S`<div class="sub error-text" title=${i}>${n?.phase?`${n.phase}: `:``}${i}</div>`:w}
  </div>`}function Kn(e,t){let n=e.lastBuild;if(!n)return S`<div role="cell" class="last muted">—</div>`;if(!n.finishedAt)return S`<div role="cell" class="last" title=${V[n.action]??n.action}>
      <div class="muted">in progress</div>
      <div class="sub"><span class="chip ${B(n.state)}">${Bn(n.state)}</span></div>
    </div>`;let r=t&&t.id===n.jobId?t.durationMs:null;return S`<div role="cell" class="last" title=${`${I(n.finishedAt)} · ${V[n.action]}${r==null?``:` · ${Pn(r)}`}`}>
    <div>${P(n.finishedAt)}</div>
    <div class="sub"><span class="chip ${B(n.state)}">${Bn(n.state)}</span></div>
  </div>`}var qn=class extends O{static properties={device:{attribute:!1},active:{attribute:!1},last:{attribute:!1},presence:{attribute:!1},columns:{attribute:!1},selected:{type:Boolean,reflect:!0},busy:{type:Boolean},error:{attribute:!1},kit:{attribute:!1},actions:{attribute:!1},trustOpen:{state:!0}};createRenderRoot(){return this}constructor(){super(),this.active=null,this.last=null,this.columns=[],this.selected=!1,this.busy=!1,this.error=null,this.kit=ft,this.actions=L,this.trustOpen=!1}connectedCallback(){super.connectedCallback(),this.setAttribute(`role`,`row`),this.classList.add(`row`)}run(e){let t=e!==`compile`&&this.offline();R(this,{action:e,deviceIds:[this.device.id],...t?{whenOnline:t}:{}})}offline(){return dn(this.device,this.presence)===!1}select(e){this.dispatchEvent(new CustomEvent(`forge-select`,{detail:{id:this.device.id,selected:e},bubbles:!0,composed:!0}))}render(){let e=this.device;if(!e)return w;let t=this.columns,n=sn(e);return S`
      <div role="cell" class="select">
        ${this.actions.mode===`hidden`?w:bt(this.kit,{label:`Select ${n}`,checked:this.selected,onChange:e=>this.select(e)})}
      </div>
      <div role="cell" class="name">
        <b title=${e.file}>${n}</b>
        <div class="sub">${e.name??e.id}${e.platform?S` · ${e.platform}`:w}</div>
        ${e.error?S`<div class="sub error-text" title=${e.error}>config error: ${e.error}</div>`:w}
        ${e.tags.length?S`<div class="sub tags">${e.tags.map(e=>S`<span class="chip">${e}</span>`)}</div>`:w}
      </div>
      ${t.includes(`online`)?Hn(e,this.presence):w}
      ${t.includes(`version`)?Un(e,this.presence):w}
      ${t.includes(`status`)?Gn(e,this.active,this.last):w}
      ${t.includes(`trust`)?this.renderTrust():w}
      ${t.includes(`last_build`)?Kn(e,this.last):w}
      ${this.renderActions(n)}
      ${this.trustOpen?S`<div class="why" id="why" role="note"><p>${qt(`Running`,e.trust.running)}</p><p>${qt(`Pending`,e.trust.pending)}</p></div>`:w}
      ${this.error?S`<div class="alert" role="alert"><span>${this.error}</span><button aria-label="Dismiss error" @click=${()=>R(this,{action:`dismiss-error`,deviceId:e.id})}>✕</button></div>`:w}
    `}renderTrust(){let e=this.device.trust,t=e.running.state===`unknown`&&e.pending.state!==`unknown`?e.pending:e.running,n=`${qt(`Running`,e.running)}\n${qt(`Pending`,e.pending)}`,r=Wt[t.state]??t.state,i=this.device.trustPolicy;return S`<div role="cell" class="trust">
      <button class="chip tone-${Ut(t.state)}" title=${n} aria-label=${`Trust ${r}. Show why`} aria-expanded=${this.trustOpen?`true`:`false`}
        aria-controls="why" @click=${()=>this.trustOpen=!this.trustOpen}><span class="dot" aria-hidden="true"></span>${r}</button>
      ${i?S`<span class="chip policy tone-${i===`enforce`?`neutral`:`warn`}" role="note" title=${$t[i]??i} aria-label=${$t[i]??i}>${i}</span>`:w}
    </div>`}renderActions(e){let t=this.device,n=this.active,r=this.actions,i=n?.id??this.last?.id??t.lastBuild?.jobId??null,a=S`<button
      class="btn"
      ?disabled=${i==null}
      aria-label=${`Open the build log of ${e}`}
      @click=${()=>i!=null&&R(this,{action:`log`,jobId:i})}
    >
      Log
    </button>`,o=S`<button
      class="btn"
      aria-label=${`Edit the config of ${e}`}
      @click=${()=>R(this,{action:`edit`,deviceId:t.id})}
    >
      Edit
    </button>`;if(r.mode===`hidden`)return S`<div role="cell" class="actions">${a}</div>`;let s=r.mode===`disabled`?r.reason:null,c=ln(t)!=null,l=n?null:Dn(t),u=this.busy||!!t.error||s!=null,d=e=>s??(t.error?`The device's configuration has an error`:e),f=K(n),p=u||f;return S`<div role="cell" class="actions">
      <button
        class="btn"
        ?disabled=${u}
        aria-label=${`Compile ${e}`}
        title=${d(`Compile (no upload)`)}
        @click=${()=>this.run(`compile`)}
      >
        Compile
      </button>
      <button
        class="btn"
        ?disabled=${u}
        aria-label=${`Compile and upload ${e}`}
        title=${d(f?`Build afresh: the new build replaces the armed flash`:this.offline()?`Compile now, upload over the air when the device is back online`:`Compile, then upload over the air`)}
        @click=${()=>this.run(`compile_upload`)}
      >
        Install
      </button>
      ${l?S`<button
              class="btn primary"
              ?disabled=${u}
              aria-label=${`Install the staged build on ${e}`}
              title=${d(`${wn(l)}: flash it without recompiling`)}
              @click=${()=>this.run(`upload`)}
            >
              Install staged
            </button>`:S`<button
              class="btn"
              ?disabled=${p||!c}
              aria-label=${`Upload stored firmware to ${e}`}
              title=${(e=>f&&!u?`A flash of this build is armed for the device: cancel it first`:d(e))(c?`Upload the stored firmware again (no recompile)`:`No stored firmware yet`)}
              @click=${()=>this.run(`upload`)}
            >
              Upload
            </button>`}
      ${n?S`<button class="btn danger" ?disabled=${n.cancelRequested||s!=null} title=${s??`Cancel this job`} aria-label=${`Cancel the ${n.state===`waiting_for_device`?`armed`:n.state} job of ${e}`} @click=${()=>R(this,{action:`cancel`,jobId:n.id,deviceId:t.id})}>Cancel</button>`:w}
      ${a}
      ${o}
    </div>`}};customElements.get(`forge-device-row`)||customElements.define(`forge-device-row`,qn);var Jn=10,Yn={name:`name`,status:`status`,last_build:`last_build`},Xn=new Map,Zn=class extends O{static properties={state:{attribute:!1},presence:{attribute:!1},scopeTags:{attribute:!1},columns:{attribute:!1},rowErrors:{attribute:!1},busy:{attribute:!1},kit:{attribute:!1},actions:{attribute:!1},query:{state:!0},selected:{state:!0}};jobsIndex=new Map;indexedJobs=null;visible=[];limit=16;growing=0;rowsPerFrame=20;visibleDeps=[];armable=[];armableDeps=[];scoped={devices:null,tags:null,count:0,allTags:[]};constructor(){super(),this.presence=Xn,this.scopeTags=[],this.columns=[],this.rowErrors=new Map,this.busy=new Set,this.kit=ft,this.actions=L,this.query=on,this.selected=new Set}static styles=[z,Nn,Mn];willUpdate(e){this.state.jobs!==this.indexedJobs&&(this.jobsIndex=tn(this.state.jobs),this.indexedJobs=this.state.jobs);let t=this.query,n=_n(t),r=[this.state.devices,t,this.scopeTags,n.jobs?this.jobsIndex:null,n.presence?this.presence:null];if(r.some((e,t)=>e!==this.visibleDeps[t])){let e=[];for(let n of this.state.devices.values())gn(n,this.scopeTags)&&hn(n,this.jobsIndex.get(n.id),t,this.presence.get(n.id))&&e.push(n);this.visible=vn(e,t,this.jobsIndex),this.visibleDeps=r}if(this.scoped.devices!==this.state.devices||this.scoped.tags!==this.scopeTags){let e=[...this.state.devices.values()].filter(e=>gn(e,this.scopeTags));this.scoped={devices:this.state.devices,tags:this.scopeTags,count:e.length,allTags:yn(e)}}let i=[this.state.devices,this.scopeTags,this.presence,this.jobsIndex];if(i.some((e,t)=>e!==this.armableDeps[t])&&(this.armable=On(this.state.devices.values(),e=>gn(e,this.scopeTags),this.presence,e=>this.jobsIndex.get(e)?.active??null),this.armableDeps=i),e.has(`columns`)||e.has(`actions`)){let e=this.actions.mode!==`hidden`;this.style.setProperty(`--forge-grid`,zt(this.columns,{wide:!0,select:e})),this.style.setProperty(`--forge-grid-medium`,zt(this.columns,{wide:!1,select:e})),this.style.setProperty(`--forge-select-w`,e?`32px`:`0px`),!e&&this.selected.size&&(this.selected=new Set)}}updated(){this.limit<this.visible.length&&!this.growing&&(this.growing=requestAnimationFrame(()=>void this.grow()))}async grow(){let e=performance.now(),t=this.limit;this.limit+=this.rowsPerFrame,this.requestUpdate(),await this.updateComplete;let n=[...this.renderRoot.querySelectorAll(`forge-device-row`)].slice(t);await Promise.all(n.map(e=>e.updateComplete));let r=(performance.now()-e)/Math.max(1,n.length);this.rowsPerFrame=Math.max(5,Math.min(60,Math.floor(Jn/Math.max(.05,r)))),this.growing=0,this.isConnected&&this.limit<this.visible.length&&(this.growing=requestAnimationFrame(()=>void this.grow()))}disconnectedCallback(){super.disconnectedCallback(),this.growing&&cancelAnimationFrame(this.growing),this.growing=0}setQuery(e){this.query={...this.query,...e}}toggleSort(e){this.setQuery(this.query.sort===e?{descending:!this.query.descending}:{sort:e,descending:!1})}onSelect(e){let t=new Set(this.selected);e.detail.selected?t.add(e.detail.id):t.delete(e.detail.id),this.selected=t}selectAll(e){this.selected=e?new Set(this.visible.map(e=>e.id)):new Set}bulk(e){if(this.actions.mode!==`enabled`)return;let t=[...this.selected].filter(e=>this.state.devices.has(e));t.length&&R(this,{action:e,deviceIds:t})}render(){let e=this.query,t=this.selected,n=this.kit,r=this.actions,i=this.visible.length>0&&this.visible.every(e=>t.has(e.id)),a=!i&&this.visible.some(e=>t.has(e.id));return S`
      ${An({kit:n,query:e,tags:this.scoped.allTags,shown:this.visible.length,total:this.scoped.count,armable:this.armable,actions:r,onQuery:e=>this.setQuery(e),onArm:()=>R(this,{action:`compile_upload`,deviceIds:this.armable,whenOnline:!0})})}
      ${jn({selected:t.size,actions:r,onBulk:e=>this.bulk(e),onClear:()=>this.selectAll(!1)})}
      <div role="table" aria-label="Devices" aria-rowcount=${this.visible.length+1} @forge-select=${this.onSelect}>
        <div class="head" role="row">
          <div role="columnheader" class="select-head">
            ${r.mode===`hidden`?w:bt(n,{label:`Select all shown devices`,checked:i,indeterminate:a,onChange:e=>this.selectAll(e)})}
          </div>
          ${this.header(`name`,`Device`)} ${this.columns.map(e=>this.header(e,Lt[e]))}
          <div role="columnheader" class="opt actions-head" style="text-align:right">Actions</div>
        </div>
        ${It(this.limit<this.visible.length?this.visible.slice(0,this.limit):this.visible,e=>e.id,e=>{let i=this.jobsIndex.get(e.id);return S`<forge-device-row
              .device=${e}
              .active=${i?.active??null}
              .last=${i?.last??null}
              .presence=${this.presence.get(e.id)}
              .columns=${this.columns}
              .error=${this.rowErrors.get(e.id)??null}
              .kit=${n}
              .actions=${r}
              ?selected=${t.has(e.id)}
              ?busy=${this.busy.has(e.id)}
            ></forge-device-row>`})}
      </div>
      ${this.visible.length===0?S`<div class="empty">${this.state.loaded?`No devices match.`:`Loading devices…`}</div>`:w}
    `}header(e,t){let n=Yn[e],r=e===`name`?``:`opt`;if(!n)return S`<div role="columnheader" class=${r}>${t}</div>`;let i=this.query.sort===n;return S`<div role="columnheader" class=${r} aria-sort=${i?this.query.descending?`descending`:`ascending`:`none`}>
      <button @click=${()=>this.toggleSort(n)} aria-label=${`Sort by ${t}`}>${t}${i?this.query.descending?` ▼`:` ▲`:``}</button>
    </div>`}};customElements.get(`forge-devices-view`)||customElements.define(`forge-devices-view`,Zn);function Qn(e){let t=e.trust;if(!t)return w;let{tone:n,label:r}=Xt(t),i=Zt(t);return S`<span class="chip tone-${n} job-trust" role="note" title=${i} aria-label=${i}>${r}</span>`}var $n=`\x1B`,er={"&":`&amp;`,"<":`&lt;`,">":`&gt;`,'"':`&quot;`,"'":`&#39;`},tr=/[&<>"']|\r\n?|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;function nr(e){return e.replace(tr,e=>er[e]??(e[0]===`\r`?`
`:``))}var rr=()=>({fg:null,bg:null,bold:!1,dim:!1,italic:!1,underline:!1}),ir=e=>Math.max(0,Math.min(255,Number.isFinite(e)?Math.trunc(e):0));function ar(e){if(e>=232){let t=8+(e-232)*10;return`rgb(${t},${t},${t})`}let t=e-16,n=[0,95,135,175,215,255];return`rgb(${n[Math.floor(t/36)]},${n[Math.floor(t/6)%6]},${n[t%6]})`}function or(e,t){let n=e[t+1];if(n===5){let n=ir(e[t+2]);return[n<16?n:ar(n),3]}return n===2?[`rgb(${ir(e[t+2])},${ir(e[t+3])},${ir(e[t+4])})`,5]:[null,1]}function sr(e,t){t.length===0&&(t=[0]);for(let n=0;n<t.length;n++){let r=t[n];if(r===0)Object.assign(e,rr());else if(r===1)e.bold=!0;else if(r===2)e.dim=!0;else if(r===3)e.italic=!0;else if(r===4)e.underline=!0;else if(r===22)e.bold=e.dim=!1;else if(r===23)e.italic=!1;else if(r===24)e.underline=!1;else if(r>=30&&r<=37)e.fg=r-30;else if(r>=90&&r<=97)e.fg=r-90+8;else if(r===39)e.fg=null;else if(r>=40&&r<=47)e.bg=r-40;else if(r>=100&&r<=107)e.bg=r-100+8;else if(r===49)e.bg=null;else if(r===38||r===48){let[i,a]=or(t,n);r===38?e.fg=i:e.bg=i,n+=a-1}}}function cr(e){let t=[],n=[];return typeof e.fg==`number`?t.push(`a-f${e.fg}`):e.fg&&n.push(`color:${e.fg}`),typeof e.bg==`number`?t.push(`a-g${e.bg}`):e.bg&&n.push(`background:${e.bg}`),e.bold&&t.push(`a-b`),e.dim&&t.push(`a-d`),e.italic&&t.push(`a-i`),e.underline&&t.push(`a-u`),!t.length&&!n.length?``:`<span${t.length?` class="${t.join(` `)}"`:``}${n.length?` style="${n.join(`;`)}"`:``}>`}var lr=class{style=rr();pending=``;push(e){e=this.pending+e,this.pending=``;let t=``,n=cr(this.style),r=0,i=e=>{e&&(t+=n?`${n}${nr(e)}</span>`:nr(e))};for(;r<e.length;){let t=e.indexOf($n,r);if(t<0){i(e.slice(r));break}i(e.slice(r,t));let a=this.sequenceEnd(e,t);if(a<0){let n=e.slice(t);n.length<64&&(this.pending=n);break}let o=e.slice(t,a);if(o[1]===`[`&&o.endsWith(`m`)){let e=o.slice(2,-1).split(/[;:]/).filter(e=>e!==``).map(Number);sr(this.style,e),n=cr(this.style)}r=a}return t}sequenceEnd(e,t){let n=e[t+1];if(n===void 0)return-1;if(n===`[`){for(let n=t+2;n<e.length;n++){let r=e.charCodeAt(n);if(r>=64&&r<=126)return n+1;if(n-t>32)return n}return-1}if(n===`]`){for(let n=t+2;n<e.length;n++){if(e[n]===`\x07`)return n+1;if(e[n]===$n&&e[n+1]===`\\`)return n+2;if(n-t>256)return n}return-1}return t+2}},ur=[`wheel`,`touchmove`,`keydown`,`pointerdown`],dr=class{scroller;content;onFollowChange;follow=!0;queue=[];converter=new lr;last=null;lastChars=0;lastOpen=!1;scheduled=!1;bytesShown=0;blockChars;budgetMs;stepChars;schedule;userUntil=0;resize;constructor(e,t,n={},r=()=>void 0){this.scroller=e,this.content=t,this.onFollowChange=r,this.blockChars=n.blockChars??16384,this.budgetMs=n.budgetMs??8,this.stepChars=n.stepChars??16384,this.schedule=n.schedule??(e=>requestAnimationFrame(()=>e())),e.addEventListener(`scroll`,this.onScroll,{passive:!0});for(let t of ur)e.addEventListener(t,this.markUser,{passive:!0});this.resize=typeof ResizeObserver>`u`?null:new ResizeObserver(()=>this.stick()),this.resize?.observe(e)}get shownChars(){return this.bytesShown}get pendingChars(){return this.queue.reduce((e,t)=>e+(`text`in t?t.text.length:0),0)}write(e){if(!e)return;let t=this.queue[this.queue.length-1];t&&`text`in t&&t.text.length<this.stepChars?t.text+=e:this.queue.push({text:e}),this.kick()}note(e){this.queue.push({note:e}),this.kick()}clear(){this.queue.length=0,this.content.replaceChildren(),this.converter=new lr,this.last=null,this.lastChars=0,this.lastOpen=!1,this.bytesShown=0,this.setFollow(!0)}dispose(){this.queue.length=0,this.scroller.removeEventListener(`scroll`,this.onScroll);for(let e of ur)this.scroller.removeEventListener(e,this.markUser);this.resize?.disconnect()}scrollToEnd(){this.setFollow(!0),this.stick()}flushAll(){for(;this.queue.length;)this.step();this.stick()}kick(){this.scheduled||(this.scheduled=!0,this.schedule(()=>this.pump()))}pump(){this.scheduled=!1;let e=performance.now();do this.step();while(this.queue.length&&performance.now()-e<this.budgetMs);this.stick(),this.queue.length&&this.kick()}step(){let e=this.queue[0];if(!e)return;if(`note`in e){this.queue.shift();let t=document.createElement(`div`);t.className=`note`,t.textContent=e.note,this.content.appendChild(t),this.last=null;return}let t=e.text;for(t.length>this.stepChars?(e.text=t.slice(this.stepChars),t=t.slice(0,this.stepChars)):this.queue.shift(),this.bytesShown+=t.length;t;){(!this.last||this.lastChars>=this.blockChars&&!this.lastOpen)&&this.newBlock();let e=Math.max(0,this.blockChars-this.lastChars),n=e>=t.length?t.length:t.indexOf(`
`,Math.max(0,e-1));n=n<0?t.length:Math.min(t.length,n+1);let r=t.slice(0,n);t=t.slice(n),this.last.insertAdjacentHTML(`beforeend`,this.converter.push(r)),this.lastChars+=r.length,this.lastOpen=!r.endsWith(`
`)}}newBlock(){let e=document.createElement(`div`);e.className=`blk`,this.content.appendChild(e),this.last=e,this.lastChars=0,this.lastOpen=!1}stick(){this.follow&&(this.scroller.scrollTop=this.scroller.scrollHeight)}markUser=()=>{this.userUntil=performance.now()+800};onScroll=()=>{this.scroller.scrollHeight-this.scroller.scrollTop-this.scroller.clientHeight<24?this.setFollow(!0):performance.now()<this.userUntil&&this.setFollow(!1)};setFollow(e){this.follow!==e&&(this.follow=e,this.onFollowChange(e))}},fr=class extends O{static properties={source:{attribute:!1},jobId:{attribute:!1},job:{attribute:!1},deviceName:{attribute:!1},following:{state:!0},problem:{state:!0}};writer=null;unsubscribe=null;subscribedTo=null;constructor(){super(),this.source=null,this.jobId=null,this.deviceName=``,this.following=!0,this.problem=null}static styles=[z,o`
      :host {
        display: flex;
        flex-direction: column;
        border-top: 1px solid var(--forge-divider);
        min-height: 0;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        padding: 8px 12px;
      }
      header .title {
        flex: 1;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .wrap {
        position: relative;
      }
      .scroller {
        height: var(--forge-log-height, 360px);
        overflow: auto;
        background: var(--forge-log-background, #1b1d21);
        color: var(--forge-log-color, #e3e3e3);
        font-family: var(--code-font-family, ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace);
        font-size: 12px;
        line-height: 1.45;
        padding: 8px 10px;
        box-sizing: border-box;
        overscroll-behavior: contain;
      }
      .content {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .blk {
        content-visibility: auto;
        contain-intrinsic-size: auto 300px;
      }
      .note {
        color: #9aa0a6;
        font-style: italic;
        margin: 4px 0;
      }
      .jump {
        position: absolute;
        right: 18px;
        bottom: 12px;
      }
      .a-b { font-weight: 700; }
      .a-d { opacity: 0.7; }
      .a-i { font-style: italic; }
      .a-u { text-decoration: underline; }
      .a-f0 { color: #5c6370; } .a-f1 { color: #ef6b73; } .a-f2 { color: #8bd06a; } .a-f3 { color: #e5c07b; }
      .a-f4 { color: #61afef; } .a-f5 { color: #d291e4; } .a-f6 { color: #56b6c2; } .a-f7 { color: #dcdfe4; }
      .a-f8 { color: #7f848e; } .a-f9 { color: #ff7b86; } .a-f10 { color: #a5e075; } .a-f11 { color: #f0d58c; }
      .a-f12 { color: #7dc2ff; } .a-f13 { color: #e2a6f0; } .a-f14 { color: #6fd3df; } .a-f15 { color: #ffffff; }
      .a-g0 { background: #3b3f47; } .a-g1 { background: #8c2f37; } .a-g2 { background: #3d6b2b; } .a-g3 { background: #7a6424; }
      .a-g4 { background: #2a5480; } .a-g5 { background: #6b3b79; } .a-g6 { background: #2a6670; } .a-g7 { background: #9ca3af; }
      .a-g8 { background: #4b5160; } .a-g9 { background: #b23a45; } .a-g10 { background: #4f8a38; } .a-g11 { background: #9c8330; }
      .a-g12 { background: #3a6ea5; } .a-g13 { background: #8a4d9c; } .a-g14 { background: #368590; } .a-g15 { background: #d1d5db; }
    `];firstUpdated(){let e=this.renderRoot.querySelector(`.scroller`),t=this.renderRoot.querySelector(`.content`);this.writer=new dr(e,t,{},e=>this.following=e),this.resubscribe()}updated(e){(e.has(`jobId`)||e.has(`source`))&&this.resubscribe()}connectedCallback(){super.connectedCallback(),this.writer&&this.resubscribe()}disconnectedCallback(){super.disconnectedCallback(),this.unsubscribe?.(),this.unsubscribe=null,this.subscribedTo=null}resubscribe(){let e=this.writer;if(!e)return;let t=this.source,n=this.jobId;this.subscribedTo&&t===this.subscribedTo.source&&n===this.subscribedTo.jobId||(this.unsubscribe?.(),this.unsubscribe=null,this.subscribedTo=null,e.clear(),this.problem=null,t&&n!=null&&(this.subscribedTo={source:t,jobId:n},this.unsubscribe=t.subscribeLog(n,0,t=>{t.kind===`text`?e.write(t.text):t.kind===`truncated`?e.note(`… older output was dropped by the log size limit …`):t.kind===`gap`?e.note(`… ${t.bytes} bytes missing …`):t.kind===`end`?e.note(`— job ${t.state.replace(/_/g,` `)} —`):this.problem=t.message})))}close(){this.dispatchEvent(new CustomEvent(`forge-log-close`,{bubbles:!0,composed:!0}))}render(){let e=this.job,t=e?.state===`running`,n=Qt(e?.trust);return S`
      <header>
        <span class="title"><b>Log</b> · ${this.deviceName||e?.deviceId||``} ${e?S`<span class="muted">${V[e.action]??e.action} #${e.id}</span>`:this.jobId==null?w:S`<span class="muted">#${this.jobId}</span>`}</span>
        ${e?S`<span class="chip ${B(e.state)}">${e.state.replace(/_/g,` `)}${t&&e.progress!=null?` ${Math.round(e.progress)}%`:``}</span>`:w}
        ${e?Qn(e):w}
        ${e?S`<span class="muted">${t?Fn(e.startedAt):Pn(e.durationMs)}</span>`:w}
        <button class="btn" aria-label="Close the log" @click=${this.close}>Close</button>
      </header>
      ${e?.error||n?S`<div class="error-text" style="padding:0 12px 6px" role="alert" title=${e?.error??``}>${n??`${e?.phase?`${e.phase}: `:``}${e?.error}`}</div>`:w}
      ${this.problem?S`<div class="error-text" style="padding:0 12px 6px" role="alert">${this.problem}</div>`:w}
      <div class="wrap">
        <div class="scroller" role="log" aria-live="off" aria-label=${`Build log of job ${this.jobId??``}`} tabindex="0"><div class="content"></div></div>
        <button class="btn primary jump" ?hidden=${this.following} @click=${()=>this.writer?.scrollToEnd()}>↓ Follow the end</button>
      </div>
    `}};customElements.get(`forge-log-panel`)||customElements.define(`forge-log-panel`,fr);var pr={interactive:0,automation:1,scheduled:2,bulk:3};function mr(e,t=25){let n=[],r=[],i=[];for(let t of e)t.state===`running`?n.push(t):t.state===`queued`||t.state===`blocked`||t.state===`waiting_for_device`?r.push(t):i.push(t);return n.sort((e,t)=>(e.startedAt??``).localeCompare(t.startedAt??``)||e.id-t.id),r.sort((e,t)=>(pr[e.priority]??9)-(pr[t.priority]??9)||e.id-t.id),i.sort((e,t)=>(t.finishedAt??``).localeCompare(e.finishedAt??``)||t.id-e.id),{running:n,queued:r,recent:i.slice(0,t)}}var hr=class extends O{static properties={state:{attribute:!1},actions:{attribute:!1}};constructor(){super(),this.actions=L}ticker=null;static styles=[z,o`
      :host {
        display: block;
        padding: 4px 12px 12px;
        container: forge-queue / inline-size;
      }
      .jobs {
        display: grid;
        grid-template-columns: minmax(150px, 1.5fr) minmax(110px, 1fr) minmax(140px, 1.2fr) max-content;
        column-gap: 12px;
      }
      section,
      ul,
      li {
        display: grid;
        grid-column: 1 / -1;
        grid-template-columns: subgrid;
      }
      h3 {
        grid-column: 1 / -1;
        font-size: 0.85em;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        color: var(--forge-muted);
        margin: 12px 0 4px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        align-items: center;
        row-gap: 4px;
        padding: 6px 0;
        border-top: 1px solid var(--forge-divider);
      }
      li > span {
        min-width: 0;
      }
      li .err {
        grid-column: 1 / -1;
        font-size: 0.85em;
      }
      .right {
        display: flex;
        gap: 4px;
        justify-content: flex-end;
        align-items: center;
      }
      .empty {
        grid-column: 1 / -1;
        color: var(--forge-muted);
        padding: 4px 0;
      }
      @container forge-queue (max-width: 560px) {
        .jobs {
          grid-template-columns: minmax(0, 1fr) max-content;
        }
      }
    `];connectedCallback(){super.connectedCallback(),this.ticker=setInterval(()=>this.requestUpdate(),1e3)}disconnectedCallback(){super.disconnectedCallback(),this.ticker&&clearInterval(this.ticker),this.ticker=null}deviceName(e){let t=this.state.devices.get(e);return t?.friendlyName||t?.name||e}workerName(e){return e?this.state.workers.get(e)?.name??e:`—`}render(){let e=mr(this.state.jobs.values());return S`<div class="jobs">
      <section aria-label="Running jobs">
        <h3>Running (${e.running.length})</h3>
        ${this.list(e.running,e=>S`
          <span class="muted">on ${this.workerName(e.workerId)}${e.progress==null?``:` · ${Math.round(e.progress)}%`}</span>
          <span>${e.phase??`starting`} · ${Fn(e.startedAt)}</span>`)}
      </section>
      <section aria-label="Queued jobs">
        <h3>Queued (${e.queued.length})</h3>
        ${this.list(e.queued,(e,t)=>S`
          <span class="muted">${e.state===`blocked`?`blocked`:K(e)?`armed`:`#${t+1}`} · ${e.priority}</span>
          <span>${K(e)?`waiting for the device`:`waiting`} ${Fn(e.createdAt)}</span>`)}
      </section>
      <section aria-label="Recent jobs">
        <h3>Recent (${e.recent.length})</h3>
        ${this.list(e.recent,e=>S`
          <span><span class="chip ${B(e.state)}">${e.state.replace(/_/g,` `)}</span></span>
          <span class="muted" title=${I(e.finishedAt)}>${Pn(e.durationMs)} · ${P(e.finishedAt)}</span>`)}
      </section>
    `}list(e,t){return e.length?S`<ul>
      ${e.map((e,n)=>{let r=Ze(e),i=Qt(e.trust);return S`<li>
          <span><b>${this.deviceName(e.deviceId)}</b> <span class="muted">${V[e.action]??e.action} #${e.id}</span></span>
          ${t(e,n)}
          <span class="right">
            ${Qn(e)}
            ${r&&this.actions.mode!==`hidden`?S`<button class="btn danger" ?disabled=${e.cancelRequested||this.actions.mode===`disabled`} title=${this.actions.mode===`disabled`?this.actions.reason:`Cancel this job`} aria-label=${`Cancel job ${e.id}`} @click=${()=>R(this,{action:`cancel`,jobId:e.id,deviceId:e.deviceId})}>Cancel</button>`:w}
            <button class="btn" aria-label=${`Open the log of job ${e.id}`} @click=${()=>R(this,{action:`log`,jobId:e.id})}>Log</button>
          </span>
          ${i?S`<span class="err error-text" title=${e.error??``}>${i}</span>`:w}
          ${e.state===`blocked`&&e.blockedReason?S`<span class="err blocked-reason" style="color: var(--forge-warn)">Blocked: ${e.blockedReason}</span>`:w}
          ${K(e)?S`<span class="err armed-reason" title=${xn(e)}>${bn(e,Date.now(),!!this.state.devices.get(e.deviceId)?.deepSleep)}${e.blockedReason?S` <span class="muted">(${e.blockedReason})</span>`:w}</span>`:w}
          ${e.error&&!i?S`<span class="err ${e.state===`cancelled`?`muted`:`error-text`}">${e.phase?`${e.phase}: `:``}${e.error}</span>`:w}
        </li>`})}
    </ul>`:S`<div class="empty">none</div>`}};customElements.get(`forge-queue-view`)||customElements.define(`forge-queue-view`,hr);var q=class extends Error{name=`CronError`},gr={"@yearly":`0 0 1 1 *`,"@annually":`0 0 1 1 *`,"@monthly":`0 0 1 * *`,"@weekly":`0 0 * * 0`,"@daily":`0 0 * * *`,"@midnight":`0 0 * * *`,"@hourly":`0 * * * *`},_r=[{name:`minute`,min:0,max:59},{name:`hour`,min:0,max:23},{name:`day of month`,min:1,max:31},{name:`month`,min:1,max:12,names:[`JAN`,`FEB`,`MAR`,`APR`,`MAY`,`JUN`,`JUL`,`AUG`,`SEP`,`OCT`,`NOV`,`DEC`],nameBase:1},{name:`day of week`,min:0,max:7,names:[`SUN`,`MON`,`TUE`,`WED`,`THU`,`FRI`,`SAT`],nameBase:0}];function vr(e){let t=e.trim(),n=gr[t.toLowerCase()]??t;if(n.startsWith(`@`))throw new q(`unknown macro ${t} (use @yearly, @monthly, @weekly, @daily or @hourly)`);let r=n.split(/\s+/);if(r.length!==5)throw new q(`expected 5 fields (minute hour day-of-month month day-of-week), got ${r.length}: "${t}"`);let[i,a,o,s,c]=r.map((e,t)=>yr(e,_r[t]));return{source:t,minutes:[...i].sort((e,t)=>e-t),hours:[...a].sort((e,t)=>e-t),days:o,months:s,weekdays:new Set([...c].map(e=>e%7)),dayStar:r[2].startsWith(`*`),weekdayStar:r[4].startsWith(`*`),hourStar:r[1].startsWith(`*`)}}function yr(e,t){let n=new Set;for(let r of e.split(`,`)){let e=/^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(r);if(!e)throw new q(`${t.name}: cannot read "${r}"`);let i=e[2]===void 0?1:Number(e[2]);if(i<1||i>t.max)throw new q(`${t.name}: step ${e[2]} is out of range`);let a,o;if(e[1]===`*`)[a,o]=[t.min,t.max===7?6:t.max];else{let[n,r]=e[1].split(`-`);if(a=br(n,t),o=r===void 0?e[2]===void 0?a:t.max:br(r,t),o<a)throw new q(`${t.name}: range ${e[1]} runs backwards`)}for(let e=a;e<=o;e+=i)n.add(e)}return n}function br(e,t){let n;if(/^\d+$/.test(e))n=Number(e);else{let r=t.names?.indexOf(e.toUpperCase())??-1;if(r<0)throw new q(`${t.name}: "${e}" is not a number${t.names?` or a name`:``}`);n=r+(t.nameBase??0)}if(n<t.min||n>t.max)throw new q(`${t.name}: ${e} is outside ${t.min}–${t.max}`);return n}var xr=new Map;function Sr(e){let t=xr.get(e);return t||(t=new Intl.DateTimeFormat(`en-US`,{timeZone:e,hourCycle:`h23`,year:`numeric`,month:`numeric`,day:`numeric`,hour:`numeric`,minute:`numeric`,second:`numeric`}),xr.set(e,t)),t}function Cr(e){try{return Sr(e),!0}catch{return!1}}function wr(e,t){let n={};for(let r of Sr(t).formatToParts(e))r.type!==`literal`&&(n[r.type]=Number(r.value));return Date.UTC(n.year,n.month-1,n.day,n.hour,n.minute,n.second)}var J=6e4,Y=60*J,Tr=24*Y;function Er(e,t){let n=[...new Set([e-Tr,e+Tr].map(e=>wr(e,t)-Math.floor(e/1e3)*1e3))].map(t=>e-t).filter(n=>wr(n,t)===e);return[...new Set(n)].sort((e,t)=>e-t)}function Dr(e,t){let n=Math.floor((e-14*Y)/J),r=Math.ceil((e+14*Y)/J);for(;r-n>1;){let i=Math.floor((n+r)/2);wr(i*J,t)>e?r=i:n=i}return r*J}var Or=2928;function kr(e,t,n){let r=wr(t,n),i=Math.floor(r/Tr)*Tr;for(let a=0;a<=Or;a++){let o=i+a*Tr;if(jr(e,new Date(o)))for(let i of e.hours)for(let a of e.minutes){let s=o+i*Y+a*J;if(!(s<r-3*Y)){for(let r of Ar(e,s,n))if(r>t)return r}}}return null}function Ar(e,t,n){let r=Er(t,n);return r.length===0?e.hourStar?[]:[Dr(t,n)]:e.hourStar?r:[r[0]]}function jr(e,t){if(!e.months.has(t.getUTCMonth()+1))return!1;let n=e.days.has(t.getUTCDate()),r=e.weekdays.has(t.getUTCDay());return e.dayStar||e.weekdayStar?n&&r:n||r}var Mr=`forge-schedule-save`,Nr=`forge-schedule-cancel`,Pr=[{label:`Every night at 03:00`,cron:`0 3 * * *`},{label:`Sundays at 03:00`,cron:`0 3 * * 0`},{label:`First of the month at 03:00`,cron:`0 3 1 * *`}],Fr=e=>String(e).padStart(2,`0`);function Ir(e){let t=new Date(e);return`${t.getFullYear()}-${Fr(t.getMonth()+1)}-${Fr(t.getDate())}T${Fr(t.getHours())}:${Fr(t.getMinutes())}`}function Lr(e,t,n=Date.now()){if(!Cr(t))return{runs:[],error:`unknown time zone ${t}`};try{let r=vr(e),i=[];for(let e=n;i.length<3&&(e=kr(r,e,t),e!==null);)i.push(e);return{runs:i,error:i.length?null:`the expression matches no date`}}catch(e){return{runs:[],error:e instanceof q?e.message:String(e)}}}var Rr=class extends O{static properties={schedule:{attribute:!1},devices:{attribute:!1},tags:{attribute:!1},error:{attribute:!1},busy:{type:Boolean},draft:{state:!0}};constructor(){super(),this.schedule=null,this.devices=[],this.tags=[],this.error=null,this.busy=!1}static styles=[z,o`
      form {
        display: grid;
        gap: 10px;
        padding: 12px;
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        margin-bottom: 12px;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 8px 16px;
        align-items: center;
      }
      label {
        display: inline-flex;
        gap: 6px;
        align-items: center;
      }
      input[type="datetime-local"] {
        font: inherit;
      }
      .preview {
        font-size: 0.85em;
      }
      .buttons {
        display: flex;
        gap: 8px;
        justify-content: flex-end;
      }
    `];willUpdate(e){(e.has(`schedule`)||!this.draft)&&(this.draft=this.fromSchedule(this.schedule))}fromSchedule(e){let t=e?.when,n=e?.target;return{name:e?.name??``,kind:n?.kind??`fleet`,deviceId:n?.kind===`device`?n.deviceId:this.devices[0]?.id??``,tag:n?.kind===`tag`?n.tag:this.tags[0]??``,action:e?.action??`compile_upload`,onlyOutdated:e?.onlyOutdated??!0,repeat:!t||`cron`in t,cron:t&&`cron`in t?t.cron:Pr[0].cron,timeZone:t&&`cron`in t?t.timeZone:Intl.DateTimeFormat().resolvedOptions().timeZone,at:Ir(t&&`at`in t?Date.parse(t.at):Date.now()+36e5)}}set(e){this.draft={...this.draft,...e}}body(){let e=this.draft,t=e.kind===`device`?{kind:`device`,deviceId:e.deviceId}:e.kind===`tag`?{kind:`tag`,tag:e.tag}:{kind:`fleet`},n=e.repeat?{cron:e.cron.trim(),timeZone:e.timeZone.trim()}:{at:new Date(e.at).toISOString()};return{name:e.name.trim(),target:t,action:e.action,onlyOutdated:e.onlyOutdated,when:n}}submit(e){e.preventDefault(),this.dispatchEvent(new CustomEvent(Mr,{detail:this.body(),bubbles:!0,composed:!0}))}render(){let e=this.draft,t=e.repeat?Lr(e.cron,e.timeZone):null,n=!e.repeat&&!(Date.parse(new Date(e.at).toISOString())>Date.now()),r=!!t?.error||n||e.kind===`device`&&!e.deviceId||e.kind===`tag`&&!e.tag;return S`<form aria-label=${this.schedule?`Edit schedule ${this.schedule.id}`:`New schedule`} @submit=${this.submit}>
      <div class="row">
        <label>Name <input type="text" aria-label="Name" name="name" .value=${e.name} placeholder="e.g. Nightly updates" @input=${e=>this.set({name:e.target.value})} /></label>
      </div>
      <div class="row">
        <label>For
          <select aria-label="Target" name="kind" .value=${e.kind} @change=${e=>this.set({kind:e.target.value})}>
            <option value="fleet">every device</option>
            <option value="tag">devices tagged</option>
            <option value="device">one device</option>
          </select>
        </label>
        ${e.kind===`device`?S`<select aria-label="Device" name="device" .value=${e.deviceId} @change=${e=>this.set({deviceId:e.target.value})}>${this.devices.map(t=>S`<option value=${t.id} ?selected=${t.id===e.deviceId}>${t.label}</option>`)}</select>`:w}
        ${e.kind===`tag`?S`<select aria-label="Tag" name="tag" .value=${e.tag} @change=${e=>this.set({tag:e.target.value})}>${this.tags.map(t=>S`<option value=${t} ?selected=${t===e.tag}>${t}</option>`)}</select>`:w}
        <label>Do
          <select aria-label="Action" name="action" .value=${e.action} @change=${e=>this.set({action:e.target.value})}>
            <option value="compile_upload">compile and upload</option>
            <option value="compile">compile only</option>
          </select>
        </label>
        <label><input type="checkbox" aria-label="Only outdated devices" name="onlyOutdated" .checked=${e.onlyOutdated} @change=${e=>this.set({onlyOutdated:e.target.checked})} /> only outdated devices</label>
      </div>
      <div class="row" role="radiogroup" aria-label="When">
        <label><input type="radio" name="repeat" .checked=${e.repeat} @change=${()=>this.set({repeat:!0})} /> repeat</label>
        <label><input type="radio" name="once" .checked=${!e.repeat} @change=${()=>this.set({repeat:!1})} /> once</label>
      </div>
      ${e.repeat?S`<div class="row">
              <select aria-label="Preset" @change=${t=>this.set({cron:t.target.value||e.cron})}>
                <option value="">Presets…</option>
                ${Pr.map(e=>S`<option value=${e.cron}>${e.label}</option>`)}
              </select>
              <label>Cron <input type="text" class="mono" aria-label="Cron expression" name="cron" .value=${e.cron} @input=${e=>this.set({cron:e.target.value})} /></label>
              <label>Time zone <input type="text" aria-label="Time zone" name="timeZone" .value=${e.timeZone} @input=${e=>this.set({timeZone:e.target.value})} /></label>
            </div>
            <div class="preview ${t?.error?`error-text`:`muted`}" aria-live="polite">
              ${t?.error?`Cannot run: ${t.error}`:`Next runs: ${t.runs.map(e=>I(new Date(e).toISOString())).join(` · `)} (your local time)`}
            </div>`:S`<div class="row">
              <label>At <input type="datetime-local" aria-label="Run at" name="at" .value=${e.at} @input=${e=>this.set({at:e.target.value})} /></label>
              ${n?S`<span class="error-text">pick a time in the future</span>`:w}
            </div>`}
      ${this.error?S`<div class="error-text" role="alert">${this.error}</div>`:w}
      <div class="buttons">
        <button type="button" class="btn" @click=${()=>this.dispatchEvent(new CustomEvent(Nr,{bubbles:!0,composed:!0}))}>Cancel</button>
        <button type="submit" class="btn primary" ?disabled=${r||this.busy}>${this.schedule?`Save`:`Create schedule`}</button>
      </div>
    </form>`}};customElements.get(`forge-schedule-form`)||customElements.define(`forge-schedule-form`,Rr);var zr={queued:`tone-ok`,nothing_to_do:`tone-neutral`,missed:`tone-warn`,refused:`tone-bad`};function Br(e,t){if(e.kind===`fleet`)return`every device`;if(e.kind===`tag`)return`devices tagged ${e.tag}`;let n=t.devices.get(e.deviceId);return n?.friendlyName||n?.name||e.deviceId}function Vr(e){return`at`in e.when?`once at ${I(e.when.at)}`:`cron ${e.when.cron} (${e.when.timeZone})`}function Hr(e,t=Date.now()){if(!e)return`—`;let n=Math.round((Date.parse(e)-t)/1e3);if(n<60)return n<=0?`now`:`in ${n} s`;let r=Math.round(n/60);if(r<60)return`in ${r} min`;let i=Math.round(r/60);return i<48?`in ${i} h`:`in ${Math.round(i/24)} d`}var Ur=class extends O{static properties={state:{attribute:!1},actions:{attribute:!1},editing:{state:!0},formError:{state:!0},busy:{state:!0},rowErrors:{state:!0},confirmDelete:{state:!0}};constructor(){super(),this.editing=null,this.formError=null,this.busy=!1,this.rowErrors=new Map,this.confirmDelete=null,this.addEventListener(Mr,e=>void this.save(e.detail)),this.addEventListener(Nr,()=>this.close())}static styles=[z,o`
      :host {
        display: block;
        padding: 8px 12px 12px;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: center;
        margin-bottom: 8px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 8px;
      }
      li {
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
        display: grid;
        gap: 4px;
      }
      li.paused {
        opacity: 0.7;
      }
      .top {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        align-items: baseline;
        flex-wrap: wrap;
      }
      .actions {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
      }
      .empty {
        color: var(--forge-muted);
        padding: 12px 0;
      }
    `];close(){this.editing=null,this.formError=null}async save(e){if(this.actions&&this.editing!==null){this.busy=!0,this.formError=null;try{this.editing===`new`?await this.actions.create(e):await this.actions.update(this.editing,e),this.close()}catch(e){this.formError=j(e).message}finally{this.busy=!1}}}async act(e,t){if(!this.actions)return;let n=new Map(this.rowErrors);n.delete(e),this.rowErrors=n;try{await t(this.actions)}catch(t){this.rowErrors=new Map(this.rowErrors).set(e,j(t).message)}}render(){let e=[...this.state.schedules.values()].sort((e,t)=>(e.nextRunAt??`~`).localeCompare(t.nextRunAt??`~`)||e.id-t.id),t=[...this.state.devices.values()].map(e=>({id:e.id,label:e.friendlyName||e.name||e.id})).sort((e,t)=>e.label.localeCompare(t.label)),n=[...new Set([...this.state.devices.values()].flatMap(e=>e.tags))].sort(),r=typeof this.editing==`number`?this.state.schedules.get(this.editing)??null:null;return S`
      <div class="head">
        <span class="muted">${e.length} schedule${e.length===1?``:`s`}</span>
        ${this.actions&&this.editing===null?S`<button class="btn primary" @click=${()=>this.editing=`new`}>New schedule</button>`:w}
      </div>
      ${this.editing===null?w:S`<forge-schedule-form .schedule=${r} .devices=${t} .tags=${n} .error=${this.formError} ?busy=${this.busy}></forge-schedule-form>`}
      ${e.length?S`<ul aria-label="Schedules">${e.map(e=>this.renderSchedule(e))}</ul>`:S`<div class="empty">No schedules yet. Builds can also be started from Home Assistant automations with the <span class="mono">esphome_forge.compile</span> action.</div>`}
    `}renderSchedule(e){let t=e.name||`Schedule ${e.id}`,n=e.lastRun,r=this.rowErrors.get(e.id);return S`<li class=${e.enabled?``:`paused`} aria-label=${`Schedule ${t}`}>
      <div class="top">
        <b>${t}</b>
        <span class="chip ${e.enabled?`tone-info`:`tone-neutral`}">${e.enabled?`active`:`paused`}</span>
      </div>
      <div>${e.action===`compile_upload`?`Compile and upload`:`Compile`} ${Br(e.target,this.state)}${e.onlyOutdated?S` <span class="chip">only outdated</span>`:w}</div>
      <div class="muted">${Vr(e)}</div>
      <div class="next">Next run: ${e.nextRunAt?S`<span title=${I(e.nextRunAt)}>${Hr(e.nextRunAt)} (${I(e.nextRunAt)})</span>`:`none`}</div>
      ${n?S`<div class="last">Last run: <span class="chip ${zr[n.outcome]??``}">${n.outcome.replace(/_/g,` `)}</span> ${P(n.ranAt)}${n.detail?S` — <span class="muted">${n.detail}</span>`:w}</div>`:w}
      ${r?S`<div class="error-text" role="alert">${r}</div>`:w}
      ${this.actions?S`<div class="actions">
              <button class="btn" aria-label=${`Run ${t} now`} @click=${()=>void this.act(e.id,t=>t.run(e.id))}>Run now</button>
              <button class="btn" aria-label=${`${e.enabled?`Pause`:`Resume`} ${t}`} @click=${()=>void this.act(e.id,t=>t.update(e.id,{enabled:!e.enabled}))}>${e.enabled?`Pause`:`Resume`}</button>
              <button class="btn" aria-label=${`Edit ${t}`} @click=${()=>(this.formError=null,this.editing=e.id)}>Edit</button>
              ${this.confirmDelete===e.id?S`<button class="btn danger" aria-label=${`Really delete ${t}`} @click=${()=>void this.act(e.id,t=>t.remove(e.id)).then(()=>this.confirmDelete=null)}>Delete for good</button>`:S`<button class="btn" aria-label=${`Delete ${t}`} @click=${()=>this.confirmDelete=e.id}>Delete</button>`}
            </div>`:w}
    </li>`}};customElements.get(`forge-schedules-view`)||customElements.define(`forge-schedules-view`,Ur);function Wr(e,t){let n=e.split(``).map(e=>e===`*`?`.*`:e===`?`?`.`:e.replace(/[\\^$.|+()[\]{}]/g,`\\$&`)).join(``);return RegExp(`^${n}$`,`i`).test(t)}function Gr(e,t){let n=e.match;return!(n.tags?.length&&!n.tags.every(e=>t.tags.includes(e))||n.platforms?.length&&!(t.platform&&n.platforms.some(e=>e.toLowerCase()===t.platform.toLowerCase()))||n.name&&!(Wr(n.name,t.id)||t.name!=null&&Wr(n.name,t.name)))}function Kr(e,t){return e.find(e=>Gr(e,t))}var qr={name:``,tags:``,platforms:``,glob:``,workerTags:``},X=e=>e.split(/[,\s]+/).map(e=>e.trim()).filter(Boolean);function Jr(e){let t={};return X(e.tags).length&&(t.tags=X(e.tags)),X(e.platforms).length&&(t.platforms=X(e.platforms)),e.glob.trim()&&(t.name=e.glob.trim()),{name:e.name.trim(),match:t,workerTags:X(e.workerTags)}}function Yr(e){let t=[];return e.match.platforms?.length&&t.push(`platform ${e.match.platforms.join(` or `)}`),e.match.tags?.length&&t.push(`tagged ${e.match.tags.join(` and `)}`),e.match.name&&t.push(`named ${e.match.name}`),`Devices ${t.join(`, `)}`}var Xr=class extends O{static properties={state:{attribute:!1},actions:{attribute:!1},rules:{state:!0},editing:{state:!0},draft:{state:!0},error:{state:!0},busy:{state:!0}};constructor(){super(),this.rules=null,this.editing=null,this.draft=qr,this.error=null,this.busy=!1}static styles=[z,o`
      :host {
        display: block;
        padding: 8px 12px 12px;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: center;
        margin-bottom: 8px;
      }
      ol {
        margin: 0;
        padding: 0 0 0 20px;
        display: grid;
        gap: 8px;
      }
      li {
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
      }
      li > div {
        margin-top: 4px;
      }
      .actions {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
      }
      form {
        display: grid;
        gap: 6px;
        grid-template-columns: max-content 1fr;
        align-items: center;
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
        margin-bottom: 8px;
      }
      form .actions {
        grid-column: 1 / -1;
      }
      .empty {
        color: var(--forge-muted);
        padding: 12px 0;
      }
    `];connectedCallback(){super.connectedCallback(),this.load()}async load(){if(this.actions)try{this.rules=await this.actions.get()}catch(e){this.error=j(e).message}}async save(e){if(!this.actions)return!1;this.busy=!0,this.error=null;try{return this.rules=await this.actions.set(e),!0}catch(e){return this.error=j(e).message,!1}finally{this.busy=!1}}edit(e){let t=e===`new`?null:this.rules?.[e];this.draft=t?{name:t.name,tags:(t.match.tags??[]).join(`, `),platforms:(t.match.platforms??[]).join(`, `),glob:t.match.name??``,workerTags:t.workerTags.join(`, `)}:qr,this.error=null,this.editing=e}async submit(e){e.preventDefault();let t=[...this.rules??[]],n=Jr(this.draft);this.editing===`new`?t.push(n):typeof this.editing==`number`&&(t[this.editing]=n),await this.save(t)&&(this.editing=null)}move(e,t){let n=[...this.rules??[]],[r]=n.splice(e,1);n.splice(e+t,0,r),this.save(n)}render(){if(!this.actions)return S`<div class="empty">Routing rules are for administrators.</div>`;let e=this.rules;return S`
      <div class="head">
        <span class="muted">The first rule that matches a device decides which workers may build it.</span>
        ${this.editing===null?S`<button class="btn primary" @click=${()=>this.edit(`new`)}>New rule</button>`:w}
      </div>
      ${this.editing===null?w:this.renderForm()}
      ${this.error?S`<div class="error-text" role="alert">${this.error}</div>`:w}
      ${e===null?S`<div class="empty">Loading…</div>`:e.length?S`<ol aria-label="Routing rules">${e.map((t,n)=>this.renderRule(e,t,n))}</ol>`:S`<div class="empty">No routing rules: any worker builds any device (a job's own worker tags still apply).</div>`}
    `}renderRule(e,t,n){let r=[...this.state.devices.values()].filter(n=>Kr(e,n)===t),i=[...this.state.workers.values()].filter(e=>e.online&&t.workerTags.every(t=>e.tags.includes(t))),a=r.slice(0,8).map(e=>e.friendlyName||e.name||e.id);return S`<li aria-label=${`Rule ${t.name}`}>
      <b>${t.name}</b>
      <div>${Yr(t)} need workers with tags <span class="mono">${t.workerTags.join(`, `)}</span></div>
      <div class="muted devices">Decides for ${r.length} device${r.length===1?``:`s`}${a.length?`: ${a.join(`, `)}${r.length>a.length?`, …`:``}`:``}</div>
      ${i.length?S`<div class="muted workers">Online workers that qualify: ${i.map(e=>e.name).join(`, `)}</div>`:S`<div class="workers" style="color: var(--forge-warn)">No online worker carries these tags: matching jobs wait blocked.</div>`}
      <div class="actions">
        <button class="btn" aria-label=${`Move ${t.name} up`} ?disabled=${n===0||this.busy} @click=${()=>this.move(n,-1)}>Up</button>
        <button class="btn" aria-label=${`Move ${t.name} down`} ?disabled=${n===e.length-1||this.busy} @click=${()=>this.move(n,1)}>Down</button>
        <button class="btn" aria-label=${`Edit ${t.name}`} @click=${()=>this.edit(n)}>Edit</button>
        <button class="btn danger" aria-label=${`Delete ${t.name}`} ?disabled=${this.busy} @click=${()=>void this.save(e.filter((e,t)=>t!==n))}>Delete</button>
      </div>
    </li>`}renderForm(){let e=(e,t,n)=>S`<label for=${`rule-${e}`}>${t}</label>
        <input id=${`rule-${e}`} .value=${this.draft[e]} placeholder=${n} @input=${t=>this.draft={...this.draft,[e]:t.target.value}} />`;return S`<form aria-label="Routing rule" @submit=${e=>void this.submit(e)}>
      ${e(`name`,`Name`,`esp32 builds on x86`)}
      ${e(`platforms`,`Platforms`,`esp32, rp2040`)}
      ${e(`tags`,`Device tags`,`kitchen`)}
      ${e(`glob`,`Device name`,`kitchen-*`)}
      ${e(`workerTags`,`Worker tags`,`x86`)}
      <div class="actions">
        <button class="btn primary" type="submit" ?disabled=${this.busy}>${this.editing===`new`?`Add rule`:`Save`}</button>
        <button class="btn" type="button" @click=${()=>(this.editing=null,this.error=null)}>Cancel</button>
      </div>
    </form>`}};customElements.get(`forge-routing-view`)||customElements.define(`forge-routing-view`,Xr);var Zr=864e5,Qr={enforce:`ok`,warn:`warn`,off:`bad`},$r={enforce:`Fleet trust policy: only verified firmware is flashed`,warn:`Fleet trust policy: firmware that is not verified is flashed with a warning`,off:`Fleet trust policy: no trust check before flashing`};function ei(e,t){let n=Math.floor((Date.parse(e)-t)/Zr);return Number.isNaN(n)?`expiry unknown`:n<1?`expires today`:`expires in ${n} d`}function ti(e,t=Date.now()){let n=[],r=[{text:`policy ${e.policy}`,tone:Qr[e.policy]??`neutral`,title:$r[e.policy]??e.policy}],i=e.revocations;if(e.revocationError)r.push({text:`revocation list INVALID`,tone:`bad`,title:e.revocationError}),n.push(`The revocation list fails its check (every verdict reads invalid): ${e.revocationError}`);else if(!i)r.push({text:`no revocation list`,tone:`neutral`,title:`Nothing has been revoked yet`});else{let e=`Revocation list version ${i.version}: ${i.entries} entr${i.entries===1?`y`:`ies`}, issued ${I(i.issuedAt)}, expires ${I(i.expiresAt)}`,a=Date.parse(i.expiresAt)-t<7*Zr;r.push({text:`revocations v${i.version} · ${i.expired?`EXPIRED`:ei(i.expiresAt,t)}`,tone:i.expired?`bad`:a?`warn`:`ok`,title:e}),i.expired&&n.push(`The revocation list (version ${i.version}) expired ${I(i.expiresAt)}: verdicts read stale until a fresh list is published.`)}let a=e.log.audit;if(!a)r.push({text:`log not checked`,tone:`neutral`,title:`Transparency log: ${e.log.size} entries, not checked yet`});else if(a.ok)r.push({text:`log check ok`,tone:`ok`,title:`Transparency log consistent: ${a.treeSize} entries, ${a.checkpointsChecked} checkpoints, checked ${I(a.checkedAt)}`});else{let e=a.problems.length?a.problems.slice(0,3).join(`; `)+(a.problems.length>3?` (+${a.problems.length-3} more)`:``):`no detail`;r.push({text:`log check FAILED`,tone:`bad`,title:a.problems.join(`
`)||`no detail`}),n.push(`Transparency log check FAILED (${I(a.checkedAt)}): ${e}`)}let o=e.witness;return o?.ok?r.push({text:`witnessed by HA`,tone:`ok`,title:`Home Assistant checked that the log (${o.treeSize} entries) extends the ${o.witnessedSize} it had witnessed`}):o&&(r.push({text:`log ${o.state.toUpperCase()} (HA witness)`,tone:`bad`,title:o.problem??o.state}),n.push(`Home Assistant's witness: ${o.problem??`the log ${o.state}`}`)),{items:r,alert:n.length?n.join(` `):null}}var ni=class extends O{static properties={feed:{attribute:!1},status:{state:!0},error:{state:!0}};unsubscribe=null;subscribed=null;constructor(){super(),this.feed=null,this.status=null,this.error=null}static styles=[z,o`
      :host {
        display: block;
        padding: 4px 12px 0;
        font-size: 0.85em;
      }
      .line {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        align-items: center;
      }
      .alert {
        margin-top: 4px;
        padding: 6px 10px;
        border-radius: 6px;
        font-weight: 600;
        color: var(--forge-bad);
        background: color-mix(in srgb, var(--forge-bad) 12%, transparent);
        border-left: 4px solid var(--forge-bad);
      }
    `];connectedCallback(){super.connectedCallback(),this.attach()}disconnectedCallback(){super.disconnectedCallback(),this.unsubscribe?.(),this.unsubscribe=null,this.subscribed=null}willUpdate(){this.isConnected&&this.feed!==this.subscribed&&this.attach()}attach(){this.subscribed===this.feed&&this.unsubscribe||(this.unsubscribe?.(),this.subscribed=this.feed,this.unsubscribe=this.feed?.subscribe(e=>{this.status=e.status,this.error=e.error})??null)}render(){if(!this.status)return this.error?S`<div class="line muted">Trust status unavailable: ${this.error}</div>`:w;let{items:e,alert:t}=ti(this.status);return S`
      <div class="line" role="group" aria-label="Content trust status">
        <span class="muted">Trust</span>
        ${e.map(e=>S`<span class="chip tone-${e.tone}" title=${e.title}>${e.text}</span>`)}
        ${this.error?S`<span class="muted" title=${this.error}>(not refreshed)</span>`:w}
      </div>
      ${t?S`<div class="alert" role="alert">${t}</div>`:w}
    `}};customElements.get(`forge-trust-status`)||customElements.define(`forge-trust-status`,ni);var ri=e=>e.replace(/(.{4})(?!$)/g,`$1 `),ii=class extends O{static properties={state:{attribute:!1},enrolment:{attribute:!1},busy:{state:!0},error:{state:!0}};constructor(){super(),this.busy=null,this.error=null}async decide(e,t){if(this.enrolment&&e.pendingKey){this.busy=e.id,this.error=null;try{t?await this.enrolment.approve(e.id,e.pendingKey.fingerprint):await this.enrolment.reject(e.id)}catch(t){this.error=`${e.name}: ${t.message}`}finally{this.busy=null}}}static styles=[z,o`
      :host {
        display: block;
        padding: 8px 12px 12px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
        gap: 10px;
      }
      li {
        border: 1px solid var(--forge-divider);
        border-radius: 10px;
        padding: 10px 12px;
        display: grid;
        gap: 6px;
      }
      .top {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        align-items: baseline;
      }
      .slots {
        display: flex;
        gap: 3px;
      }
      .slot {
        flex: 1;
        height: 6px;
        border-radius: 3px;
        background: var(--forge-divider);
      }
      .slot.busy {
        background: var(--forge-accent);
      }
      .fingerprint {
        word-break: break-all;
        font-size: 0.85em;
      }
      .empty {
        color: var(--forge-muted);
        padding: 12px 0;
      }
    `];jobLabel(e){let t=this.state.jobs.get(e);if(!t)return`#${e}`;let n=this.state.devices.get(t.deviceId);return`${n?.friendlyName||n?.name||t.deviceId} (#${e})`}render(){let e=[...this.state.workers.values()].sort((e,t)=>Number(t.online)-Number(e.online)||e.name.localeCompare(t.name));return e.length?S`${this.error?S`<div class="error-text" role="alert">${this.error}</div>`:w}<ul aria-label="Build workers">
      ${e.map(e=>this.renderWorker(e))}
    </ul>`:S`<div class="empty">No build workers yet. Pair one with <span class="mono">esphome-forge worker pair</span>.</div>`}renderEnrolment(e){return e.enrolment===`revoked`?S`<div><span class="chip tone-bad">revoked</span></div>`:e.enrolment===`rejected`?S`<div><span class="chip tone-bad">rejected</span></div>`:e.pendingKey?S`<div role="status">
      <span class="chip tone-warn">${e.pendingKey.kind===`rotate`?`new key waits for approval`:`waits for approval`}</span>
      <div class="muted">key fingerprint (SHA-256), compare with the worker's:</div>
      <div class="mono fingerprint">${ri(e.pendingKey.fingerprint)}</div>
      ${this.enrolment?S`<div>
              <button class="btn" ?disabled=${this.busy!==null} aria-label=${`Approve the key of ${e.name}`} @click=${()=>this.decide(e,!0)}>Approve</button>
              <button class="btn" ?disabled=${this.busy!==null} aria-label=${`Reject the key of ${e.name}`} @click=${()=>this.decide(e,!1)}>Reject</button>
            </div>`:w}
      <div class="muted">${this.enrolment?`Compare the fingerprint first. `:`An administrator approves it here, in Home Assistant (Repairs) or with `}${this.enrolment?w:S`<span class="mono">esphome-forge workers approve ${e.id}</span>`}${this.enrolment?``:`; `}until then it gets no job and no secret.</div>
    </div>`:w}renderWorker(e){let t=e.system;return S`<li aria-label=${`Worker ${e.name}, ${e.online?`online`:`offline`}, ${e.busySlots} of ${e.slots} slots busy`}>
      <div class="top">
        <b>${e.name}${e.local?S` <span class="chip">built-in</span>`:w}</b>
        <span class="chip ${e.online?`tone-ok`:`tone-bad`}">${e.online?`online`:`offline`}</span>
      </div>
      ${this.renderEnrolment(e)}
      ${e.outdated?S`<div class="chip tone-bad" title=${e.problem??``}>outdated: ${e.problem??`upgrade this worker`}</div>`:w}
      ${e.diskLow?S`<div class="chip tone-warn">low on disk${e.diskFreeBytes==null?``:` (${ai(e.diskFreeBytes)} free)`}: gets no jobs</div>`:w}
      <div>
        <div class="muted">${e.busySlots} / ${e.slots} slots in use</div>
        <div class="slots" aria-hidden="true">${Array.from({length:e.slots},(t,n)=>S`<span class="slot ${n<e.busySlots?`busy`:``}"></span>`)}</div>
      </div>
      <div>${e.activeJobIds.length?e.activeJobIds.map(e=>S`<div>▶ ${this.jobLabel(e)}</div>`):S`<span class="muted">idle</span>`}</div>
      <div class="muted">${e.platform??(t?`${t.os}/${t.arch}`:`unknown platform`)}${t?` · ${t.cpus} CPUs`:``}${e.version?` · v${e.version}`:``}</div>
      ${e.tags.length?S`<div>${e.tags.map(e=>S`<span class="chip">${e}</span> `)}</div>`:w}
      ${e.esphomeVersions.length?S`<div class="muted">ESPHome ${e.esphomeVersions.join(`, `)}</div>`:w}
      ${!e.online&&e.lastSeenAt?S`<div class="muted">last seen ${P(e.lastSeenAt)}</div>`:w}
    </li>`}};function ai(e){return e>=1024**3?`${(e/1024**3).toFixed(1)} GiB`:`${Math.round(e/1024**2)} MiB`}customElements.get(`forge-workers-view`)||customElements.define(`forge-workers-view`,ii);function oi(e){return e.startsWith(`+++`)||e.startsWith(`---`)||e.startsWith(`diff `)||e.startsWith(`index `)?`meta`:e.startsWith(`@@`)?`hunk`:e.startsWith(`+`)?`add`:e.startsWith(`-`)?`del`:`ctx`}var si=class extends O{static properties={diff:{attribute:!1},label:{attribute:!1}};constructor(){super(),this.diff=``,this.label=`Differences`}static styles=[z,o`
      pre {
        margin: 0;
        padding: 6px 0;
        overflow: auto;
        max-height: 360px;
        font-size: 12px;
        line-height: 1.45;
      }
      span {
        display: block;
        padding: 0 10px;
        white-space: pre;
      }
      .add {
        background: color-mix(in srgb, var(--forge-ok) 16%, transparent);
      }
      .del {
        background: color-mix(in srgb, var(--forge-bad) 16%, transparent);
      }
      .hunk {
        color: var(--forge-info);
      }
      .meta {
        color: var(--forge-muted);
      }
    `];render(){if(!this.diff)return S`<p class="muted" role="status">No differences.</p>`;let e=this.diff.replace(/\n$/,``).split(`
`);return S`<pre class="mono" role="region" aria-label=${this.label}>${e.map(e=>S`<span class=${oi(e)}>${e||w}</span>`)}</pre>`}};customElements.get(`forge-diff-view`)||customElements.define(`forge-diff-view`,si);var ci=20,li={api:`API`,card:`card`,ha:`Home Assistant`,external:`outside Forge`,forge:`Forge`},ui=class extends O{static properties={source:{attribute:!1},deviceId:{attribute:!1},entries:{state:!0},nextOffset:{state:!0},selected:{state:!0},diff:{state:!0},problem:{state:!0},busy:{state:!0}};loadedFor=``;constructor(){super(),this.source=null,this.deviceId=``,this.entries=[],this.nextOffset=null,this.selected=null,this.diff=null,this.problem=null,this.busy=!1}static styles=[z,o`
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 10px;
        align-items: baseline;
        padding: 6px 12px;
        border-top: 1px solid var(--forge-divider);
      }
      li[aria-current="true"] {
        background: color-mix(in srgb, var(--forge-accent) 8%, transparent);
      }
      .subject {
        flex: 1 1 240px;
        min-width: 0;
      }
      .who {
        font-size: 0.85em;
      }
      .acts {
        display: flex;
        gap: 4px;
      }
      .problem {
        margin: 8px 12px;
      }
      .more {
        padding: 8px 12px;
      }
    `];willUpdate(){let e=`${this.deviceId}`;this.source?.workspace&&this.deviceId&&e!==this.loadedFor&&(this.loadedFor=e,this.entries=[],this.selected=null,this.diff=null,this.load(0))}reload(){this.loadedFor=``,this.requestUpdate()}async load(e){try{let t=await this.source.workspace.history(this.deviceId,e,ci);this.entries=e===0?t.entries:[...this.entries,...t.entries],this.nextOffset=t.nextOffset,this.problem=null}catch(e){this.problem=j(e).message}}async show(e,t){this.selected={commit:e,against:t},this.diff=null;try{let n=this.entries.findIndex(t=>t.commit===e),r=this.entries[n+1]?.commit,i=this.source.workspace,a=t===`now`?await i.diff(this.deviceId,e):r?await i.diff(this.deviceId,r,e):null;this.diff=a?a.diff:``,this.problem=null}catch(e){this.problem=j(e).message}}async restore(e){this.busy=!0;try{let t=await this.source.workspace.restore(this.deviceId,e.commit);this.dispatchEvent(new CustomEvent(`forge-config-restored`,{detail:t,bubbles:!0,composed:!0})),this.reload()}catch(e){this.problem=`Restore failed: ${j(e).message}`}finally{this.busy=!1}}render(){return S`
      ${this.problem?S`<p class="problem error-text" role="alert">${this.problem}</p>`:w}
      <ol aria-label="Config history">
        ${this.entries.map((e,t)=>this.renderEntry(e,t))}
      </ol>
      ${this.entries.length===0&&!this.problem?S`<p class="more muted">No history yet.</p>`:w}
      ${this.nextOffset==null?w:S`<div class="more"><button class="btn" @click=${()=>this.load(this.nextOffset)}>Older versions</button></div>`}
      ${this.selected&&this.diff!==null?S`<forge-diff-view .diff=${this.diff} .label=${`Changes of ${this.selected.commit.slice(0,7)} ${this.selected.against===`now`?`up to now`:`against the version before`}`}></forge-diff-view>`:w}
    `}renderEntry(e,t){let n=this.selected?.commit===e.commit,r=P(e.date);return S`<li aria-current=${n?`true`:`false`}>
      <code class="mono">${e.shortCommit}</code>
      <span class="subject">${e.subject}</span>
      <span class="who muted">${e.author}${e.source?` · ${li[e.source]??e.source}`:``} · <time datetime=${e.date} title=${e.date}>${r}</time></span>
      <span class="acts">
        ${t+1<this.entries.length||this.nextOffset!=null?S`<button class="btn" aria-label=${`Show the changes of ${e.shortCommit}`} @click=${()=>this.show(e.commit,`previous`)}>Changes</button>`:w}
        ${t>0?S`<button class="btn" aria-label=${`Compare ${e.shortCommit} with now`} @click=${()=>this.show(e.commit,`now`)}>Diff with now</button>`:w}
        ${t>0?S`<button class="btn" ?disabled=${this.busy} aria-label=${`Restore the version ${e.shortCommit}`} @click=${()=>this.restore(e)}>Restore</button>`:w}
      </span>
    </li>`}};customElements.get(`forge-config-history`)||customElements.define(`forge-config-history`,ui);var di=e=>`${e.slice(0,16)}…`,fi=class extends O{static properties={source:{attribute:!1},device:{attribute:!1},plan:{state:!0},busy:{state:!0},message:{state:!0},problem:{state:!0}};loadedFor=``;constructor(){super(),this.source=null,this.device=null,this.plan=null,this.busy=!1,this.message=null,this.problem=null}static styles=[z,o`
      :host {
        display: block;
        padding: 8px 12px;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 4px 12px;
        margin: 0 0 8px;
      }
      dt {
        color: var(--forge-muted, inherit);
      }
      dd {
        margin: 0;
      }
      pre {
        overflow-x: auto;
        padding: 8px;
        border: 1px solid var(--forge-divider);
        border-radius: 6px;
        margin: 8px 0;
      }
    `];willUpdate(e){let t=this.device?.id??``;(e.has(`device`)||e.has(`source`))&&t&&t!==this.loadedFor&&this.load()}async load(){this.loadedFor=this.device?.id??``,this.problem=null;try{this.plan=await this.source.workspace.signedOta(this.loadedFor)}catch(e){this.plan=null,this.problem=j(e).message}}async apply(){let e=this.plan?.apply;if(e&&!this.busy&&this.device){this.busy=!0,this.problem=null;try{let t=await this.source.workspace.applySignedOta(this.device.id,e.sha256);this.message=t.commit?`Applied as ${t.commit.slice(0,7)}; validating.`:`Nothing to change.`,this.dispatchEvent(new CustomEvent(`forge-config-restored`,{bubbles:!0,composed:!0})),await this.load()}catch(e){this.problem=j(e).message}finally{this.busy=!1}}}render(){let e=this.device?.otaSigning??null,t=this.plan,n=e=>e==null?`unknown`:e?`yes`:`no`;return S`
      <dl aria-label="Signed OTA on the device">
        <dt>Enforced by the device</dt>
        <dd>${n(e?.otaSigned??!1)}${e?.advertised==null?w:S` <span class="muted">(it advertises ota_signed=${e.advertised})</span>`}</dd>
        <dt>Config</dt>
        <dd>${e?.configured?e.forgeSigns?`enabled; Forge signs its firmware`:`enabled; Forge does not sign: ${e.reason??`?`}`:`not enabled`}</dd>
        <dt>Keys its firmware trusts</dt>
        <dd class="mono">${e?.trustedKeys?.length?e.trustedKeys.map(di).join(`, `):`unknown`}</dd>
        ${e?.missingKeys.length?S`<dt>Not trusted yet</dt><dd class="mono">${e.missingKeys.map(di).join(`, `)} (rotation in progress)</dd>`:w}
        <dt>Downgrade protection</dt>
        <dd>${n(e?.downgradeProtection??!1)}</dd>
        <dt>Last project version flashed</dt>
        <dd>${e?.lastProjectVersion??`—`}</dd>
      </dl>
      ${this.problem?S`<p class="error-text" role="alert">${this.problem}</p>`:w}
      ${this.message?S`<p aria-live="polite">${this.message}</p>`:w}
      ${t?S`<p>The block with Forge's key${t.keys.length===1?``:`s`} (for this device or a shared package):</p>
              <pre class="mono" aria-label="Signed OTA YAML">${t.yaml}</pre>
              ${t.apply?.notes.map(e=>S`<p class="muted">${e}</p>`)}
              ${t.applyError?S`<p class="muted">Cannot apply it to the file itself: ${t.applyError}</p>`:w}
              <button class="btn primary" ?disabled=${!t.apply?.changed||this.busy} @click=${()=>this.apply()}>
                ${this.busy?`Applying…`:t.apply&&!t.apply.changed?`Already applied`:`Apply to ${t.apply?.path??`the file`}`}
              </button>`:w}
    `}};customElements.get(`forge-signed-ota-panel`)||customElements.define(`forge-signed-ota-panel`,fi);var pi=new Set([`succeeded`,`failed`,`cancelled`,`timed_out`]),mi=class extends O{static properties={source:{attribute:!1},state:{attribute:!1},deviceId:{attribute:!1},file:{state:!0},text:{state:!0},pane:{state:!0},saving:{state:!0},message:{state:!0},problem:{state:!0},conflict:{state:!0},validating:{state:!0}};loadedFor=``;constructor(){super(),Ve(),this.source=null,this.state=null,this.deviceId=``,this.file=null,this.text=``,this.pane=`edit`,this.saving=!1,this.message=null,this.problem=null,this.conflict=null,this.validating=[],this.addEventListener(`keydown`,e=>{(e.ctrlKey||e.metaKey)&&e.key.toLowerCase()===`s`&&(e.preventDefault(),this.save())}),this.addEventListener(`forge-config-restored`,()=>void this.load(!0))}static styles=[z,o`
      :host {
        display: block;
        border-top: 1px solid var(--forge-divider);
      }
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        padding: 8px 12px;
      }
      header .title {
        flex: 1;
        min-width: 0;
        font-weight: 500;
      }
      .status {
        padding: 4px 12px 8px;
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
      }
      .errors {
        list-style: none;
        margin: 0;
        padding: 0 12px 8px;
      }
      .errors li {
        padding: 2px 0;
      }
      .errors button {
        all: unset;
        cursor: pointer;
        color: var(--forge-bad);
        text-decoration: underline;
      }
      .editor {
        border-top: 1px solid var(--forge-divider);
        border-bottom: 1px solid var(--forge-divider);
      }
      .conflict {
        margin: 8px 12px;
        border: 1px solid var(--forge-bad);
        border-radius: 8px;
        overflow: hidden;
      }
      .conflict p {
        margin: 8px 12px;
      }
    `];willUpdate(e){if(e.has(`deviceId`)||e.has(`source`)){let e=this.deviceId;this.source?.workspace&&e&&e!==this.loadedFor&&this.load(!1)}}get device(){return this.state?.devices.get(this.deviceId)}get dirty(){return this.file!==null&&this.text!==this.file.content}async load(e){this.loadedFor=this.deviceId;try{let t=await this.source.workspace.read(this.deviceId);this.file=t,this.text=t.content,this.conflict=null,this.problem=null,e||(this.message=null,this.validating=[])}catch(e){this.problem=j(e).message}}async save(){let e=this.file;if(!e||this.saving||!this.source?.workspace)return;let t=this.renderRoot.querySelector(`forge-code-editor`)?.value??this.text;this.text=t,this.saving=!0,this.problem=null;try{let n=await this.source.workspace.save(this.deviceId,t,e.sha256,e.path);this.file={...e,content:t,sha256:n.sha256},this.conflict=null,this.validating=n.validation.map(e=>e.jobId),this.message=n.commit?`Saved as ${n.commit.slice(0,7)}.`:`Saved (nothing changed).`,this.renderRoot.querySelector(`forge-config-history`)?.reload()}catch(e){let t=j(e);t instanceof A&&t.code===`conflict`&&(this.conflict=t.details??{currentSha256:null,diff:null}),this.problem=t.message}finally{this.saving=!1}}async overwrite(){this.file&&this.conflict?.currentSha256&&(this.file={...this.file,sha256:this.conflict.currentSha256},await this.save())}validation(){let e=this.validating.map(e=>this.state?.jobs.get(e)).filter(e=>e!=null);if(this.validating.length){if(e.length<this.validating.length||e.some(e=>!pi.has(e.state)))return{state:`running`,errors:[]};let t=e.flatMap(e=>e.validationErrors),n=e.find(e=>e.state!==`succeeded`);return n&&t.length===0&&t.push({file:null,line:null,message:n.error??`validation ${n.state}`}),{state:t.length?`invalid`:`valid`,errors:t,job:e[0]}}let t=this.device?.validation;return t?.current&&t.errors.length?{state:`invalid`,errors:t.errors}:{state:`none`,errors:[]}}markers(e){let t=this.file?.path;return e.filter(e=>e.line!=null&&(e.file==null||e.file===t)).map(e=>({line:e.line,message:e.message}))}reveal(e){this.renderRoot.querySelector(Re)?.revealLine(e)}render(){let e=this.device,t=e?.friendlyName||e?.name||this.deviceId,n=this.validation(),r=this.markers(n.errors);return S`
      <header>
        <span class="title">Config of ${t} <span class="muted mono">${this.file?.path??``}</span>${this.dirty?S` <span class="chip tone-warn">unsaved</span>`:w}</span>
        <button class="btn" role="tab" aria-selected=${this.pane===`edit`?`true`:`false`} @click=${()=>this.pane=`edit`}>Edit</button>
        <button class="btn" role="tab" aria-selected=${this.pane===`history`?`true`:`false`} @click=${()=>this.pane=`history`}>History</button>
        <button class="btn" role="tab" aria-selected=${this.pane===`signed-ota`?`true`:`false`} @click=${()=>this.pane=`signed-ota`}>Signed OTA</button>
        <button class="btn primary" ?disabled=${!this.file||this.saving} @click=${()=>this.save()} title="Save (Ctrl+S)">${this.saving?`Saving…`:`Save`}</button>
        <button class="btn" aria-label="Close the editor" @click=${()=>this.dispatchEvent(new CustomEvent(`forge-editor-close`,{bubbles:!0,composed:!0}))}>Close</button>
      </header>
      ${this.problem?S`<div class="status"><span class="error-text" role="alert">${this.problem}</span></div>`:w}
      ${this.conflict?this.renderConflict():w}
      ${this.pane===`edit`?this.renderEdit(n,r):this.pane===`history`?S`<forge-config-history .source=${this.source} .deviceId=${this.deviceId}></forge-config-history>`:S`<forge-signed-ota-panel .source=${this.source} .device=${e??null}></forge-signed-ota-panel>`}
    `}renderEdit(e,t){let n=this.device?.configHistory;return S`
      <div class="status" aria-live="polite">
        ${this.message?S`<span>${this.message}</span>`:w}
        ${e.state===`running`?S`<span class="chip tone-info">validating…</span>`:w}
        ${e.state===`valid`?S`<span class="chip tone-ok">valid</span>
              <button class="btn" @click=${()=>R(this,{action:`compile`,deviceIds:[this.deviceId]})}>Compile</button>
              <button class="btn" @click=${()=>R(this,{action:`compile_upload`,deviceIds:[this.deviceId]})}>Install</button>`:w}
        ${e.state===`invalid`?S`<span class="chip tone-bad">${e.errors.length} error${e.errors.length===1?``:`s`}</span>`:w}
        ${n?.builtFrom?S`<span class="muted">built from <code class="mono">${n.builtFrom.slice(0,7)}</code>${n.changesSince?`, ${n.changesSince} change${n.changesSince===1?``:`s`} since`:`, no changes since`}</span>`:w}
      </div>
      ${e.errors.length?S`<ul class="errors" aria-label="Validation errors">${e.errors.map(e=>S`<li class="error-text">${e.line!=null&&(e.file==null||e.file===this.file?.path)?S`<button @click=${()=>this.reveal(e.line)}>line ${e.line}</button>: `:e.file?S`<span class="mono">${e.file}${e.line==null?``:`:${e.line}`}</span>: `:w}${e.message}</li>`)}</ul>`:w}
      <div class="editor">
        ${this.file?S`<forge-code-editor .value=${this.file.content} .markers=${t}
              @value-changed=${e=>this.text=e.detail.value}></forge-code-editor>`:S`<p class="muted status">Loading…</p>`}
      </div>
    `}renderConflict(){let e=this.conflict;return S`<section class="conflict" aria-label="Save conflict">
      <p>Someone changed this file since you opened it. Nothing was saved. What differs (the file now → yours):</p>
      ${e.diff==null?w:S`<forge-diff-view .diff=${e.diff} .label=${`Your changes against the file now`}></forge-diff-view>`}
      <p>
        <button class="btn" @click=${()=>this.load(!1)}>Load the current version (drop mine)</button>
        <button class="btn danger" ?disabled=${!e.currentSha256} @click=${()=>this.overwrite()}>Save mine over it</button>
      </p>
    </section>`}};customElements.get(`forge-config-editor`)||customElements.define(`forge-config-editor`,mi);var hi=/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,gi=class extends O{static properties={source:{attribute:!1},templates:{state:!0},problem:{state:!0},warnings:{state:!0},busy:{state:!0}};constructor(){super(),this.source=null,this.templates=[],this.problem=null,this.warnings=[],this.busy=!1}static styles=[z,o`
      dialog {
        border: 1px solid var(--forge-divider);
        border-radius: 12px;
        background: var(--forge-surface);
        color: var(--primary-text-color);
        padding: 16px;
        min-width: min(420px, 90vw);
      }
      label {
        display: grid;
        gap: 4px;
        margin-bottom: 10px;
        font-size: 0.9em;
      }
      input,
      select {
        font: inherit;
        padding: 6px 8px;
        border: 1px solid var(--forge-divider);
        border-radius: 6px;
        background: transparent;
        color: inherit;
      }
      .row {
        display: flex;
        gap: 8px;
        justify-content: flex-end;
      }
      h2 {
        margin: 0 0 12px;
        font-size: 1.1em;
      }
    `];async open(){this.problem=null,this.warnings=[],await this.updateComplete,this.renderRoot.querySelector(`dialog`).showModal();try{this.templates=(await this.source.workspace.templates()).templates}catch(e){this.problem=j(e).message}}close(){this.renderRoot.querySelector(`dialog`)?.close()}async submit(e){e.preventDefault();let t=e.target,n=new FormData(t),r=String(n.get(`name`)??``).trim();if(!hi.test(r)){this.problem=`The name is the device's hostname: lowercase letters, digits and '-'.`;return}let i=String(n.get(`friendly`)??``).trim(),a=String(n.get(`board`)??``).trim();this.busy=!0;try{let e=await this.source.workspace.create({name:r,template:String(n.get(`template`)),...i?{friendlyName:i}:{},...a?{board:a}:{}});this.warnings=e.warnings,t.reset(),this.close(),this.dispatchEvent(new CustomEvent(`forge-device-created`,{detail:{deviceId:r,warnings:e.warnings},bubbles:!0,composed:!0}))}catch(e){this.problem=j(e).message}finally{this.busy=!1}}render(){return S`<dialog aria-labelledby="new-title">
      <form @submit=${e=>this.submit(e)}>
        <h2 id="new-title">New device</h2>
        <label>Name (hostname)<input name="name" required autocomplete="off" placeholder="kitchen-sensor" /></label>
        <label>Friendly name<input name="friendly" autocomplete="off" placeholder="Kitchen sensor" /></label>
        <label>Template<select name="template">${this.templates.map(e=>S`<option value=${e.id}>${e.label} (${e.board})</option>`)}</select></label>
        <label>Board (optional)<input name="board" autocomplete="off" placeholder="the template's board" /></label>
        ${this.problem?S`<p class="error-text" role="alert">${this.problem}</p>`:w}
        <div class="row">
          <button type="button" class="btn" @click=${()=>this.close()}>Cancel</button>
          <button type="submit" class="btn primary" ?disabled=${this.busy||this.templates.length===0}>Create</button>
        </div>
      </form>
    </dialog>`}};customElements.get(`forge-new-device-dialog`)||customElements.define(`forge-new-device-dialog`,gi);var _i=class extends O{static properties={source:{attribute:!1},views:{attribute:!1},scopeTags:{attribute:!1},columns:{attribute:!1},presence:{attribute:!1},compact:{type:Boolean,reflect:!0},kit:{attribute:!1},readOnly:{attribute:!1},state:{state:!0},tab:{state:!0},logJobId:{state:!0},editDeviceId:{state:!0},rowErrors:{state:!0},busy:{state:!0},banner:{state:!0},notice:{state:!0}};unsubscribe=null;subscribed=null;clock=null;policy=L;connection=null;constructor(){super(),this.source=null,this.views=H,this.scopeTags=[],this.columns=[`online`,`version`,`status`,`trust`,`last_build`],this.presence=new Map,this.compact=!1,this.kit=ft,this.readOnly=null,this.state=Qe(),this.tab=`devices`,this.logJobId=null,this.editDeviceId=null,this.rowErrors=new Map,this.busy=new Set,this.banner=null,this.notice=null,this.addEventListener(St,e=>void this.onAction(e.detail)),this.addEventListener(`forge-log-close`,()=>this.logJobId=null),this.addEventListener(`forge-editor-close`,()=>this.editDeviceId=null),this.addEventListener(`forge-device-created`,e=>{let{deviceId:t,warnings:n}=e.detail;this.notice=`Created ${t}.${n.length?` ${n.join(` `)}`:``}`,this.openEditor(t)})}static styles=[z,o`
      :host {
        display: block;
      }
      :host([compact]) {
        --forge-row-pad: 3px 10px;
        font-size: 13px;
      }
      [role="tablist"] {
        display: flex;
        gap: 2px;
        padding: 0 8px;
        border-bottom: 1px solid var(--forge-divider);
        overflow-x: auto;
      }
      [role="tab"] {
        font: inherit;
        font-weight: 500;
        color: var(--forge-muted);
        background: none;
        border: 0;
        border-bottom: 2px solid transparent;
        padding: 10px 12px 8px;
        cursor: pointer;
      }
      [role="tab"][aria-selected="true"] {
        color: var(--forge-accent);
        border-bottom-color: var(--forge-accent);
      }
      .summary {
        padding: 6px 12px 0;
        font-size: 0.85em;
      }
      .banner {
        margin: 8px 12px 0;
        padding: 8px 12px;
        border-radius: 8px;
        display: flex;
        gap: 8px;
        justify-content: space-between;
        align-items: center;
        background: color-mix(in srgb, var(--tone) 12%, transparent);
        color: var(--tone);
      }
      .banner button {
        all: unset;
        cursor: pointer;
        padding: 0 4px;
      }
      .banner.notice {
        color: var(--primary-text-color, #212121);
        border-left: 4px solid var(--tone);
      }
      .banner .detail {
        font-size: 0.9em;
        margin-top: 2px;
      }
      .banner details {
        font-size: 0.85em;
        margin-top: 4px;
        color: var(--forge-muted);
        word-break: break-word;
      }
      .banner summary {
        cursor: pointer;
      }
      .readonly {
        padding: 4px 12px 0;
        font-size: 0.85em;
      }
    `];connectedCallback(){super.connectedCallback(),this.attach()}disconnectedCallback(){super.disconnectedCallback(),this.detach(),this.setClock(!1)}willUpdate(){this.isConnected&&this.source!==this.subscribed&&this.attach(),!this.shownViews.includes(this.tab)&&this.shownViews[0]&&(this.tab=this.shownViews[0]),this.connection=this.source?dt(this.state,this.source.kind):null,this.setClock(!!this.connection?.paused&&this.isConnected),this.actionPolicy(this.connection?.paused??null)}setClock(e){e&&!this.clock?this.clock=setInterval(()=>this.requestUpdate(),3e4):!e&&this.clock&&(clearInterval(this.clock),this.clock=null)}actionPolicy(e){let t=this.policy,n=this.readOnly?{mode:`hidden`,reason:this.readOnly}:e?{mode:`disabled`,reason:e}:L;return(t.mode!==n.mode||t.mode!==`enabled`&&(n.mode===`enabled`||t.reason!==n.reason))&&(this.policy=n),this.policy}attach(){this.subscribed===this.source&&this.unsubscribe||(this.detach(),this.source&&(this.subscribed=this.source,this.unsubscribe=this.source.subscribe(e=>this.state=e)))}detach(){this.unsubscribe?.(),this.unsubscribe=null,this.subscribed=null}setRowError(e,t){let n=new Map(this.rowErrors);for(let r of e)t?n.set(r,t):n.delete(r);this.rowErrors=n}setBusy(e,t){let n=new Set(this.busy);for(let r of e)t?n.add(r):n.delete(r);this.busy=n}async onAction(e){if(e.action===`log`)this.logJobId=e.jobId,await this.updateComplete,this.renderRoot.querySelector(`forge-log-panel`)?.scrollIntoView?.({block:`nearest`,behavior:`smooth`});else if(e.action===`edit`)await this.openEditor(e.deviceId);else if(e.action===`dismiss-error`)this.setRowError([e.deviceId],null);else if(e.action===`cancel`)try{await this.source?.cancel(e.jobId)}catch(t){let n=`Cancel failed: ${j(t).message}`;e.deviceId?this.setRowError([e.deviceId],n):this.banner=n}else await this.runJobs(e.action,e.deviceIds,e.whenOnline??!1)}async openEditor(e){this.editDeviceId=e,await this.updateComplete,this.renderRoot.querySelector(`forge-config-editor`)?.scrollIntoView?.({block:`nearest`,behavior:`smooth`})}async runJobs(e,t,n){let r=this.source;if(r&&t.length!==0&&this.policy.mode===`enabled`){if(e!==`compile`&&t.length>1){let r=this.renderRoot.querySelector(`forge-confirm-dialog`),i=e===`upload`?`flash its stored firmware`:`compile and flash new firmware`,a=n?` when it is online (an offline or sleeping device when it is back)`:``;if(!await r.ask(`Update ${t.length} devices over the air?`,`Each of the ${t.length} devices will ${i}${a} and restart.`,`Update ${t.length} devices`))return}this.setBusy(t,!0),this.setRowError(t,null);try{let i=e===`upload`?await r.upload(t,{whenOnline:n}):await r.compile(t,{upload:e===`compile_upload`,whenOnline:n});for(let e of i.skipped)this.setRowError([e.deviceId],`Not queued: ${e.reason}`);t.length>1&&(this.notice=`Queued ${i.jobs.length} job${i.jobs.length===1?``:`s`}${i.skipped.length?`, skipped ${i.skipped.length}`:``}.`)}catch(e){let n=j(e).message;t.length===1?this.setRowError(t,n):this.banner=n}finally{this.setBusy(t,!1)}}}get shownViews(){return this.views.filter(e=>e!==`routing`||!!this.source?.routing)}onTabKey(e){let t=this.shownViews,n=t.indexOf(this.tab),r=e.key===`ArrowRight`?1:e.key===`ArrowLeft`?-1:0;r&&(this.tab=t[(n+r+t.length)%t.length],this.updateComplete.then(()=>this.renderRoot.querySelector(`[role="tab"][aria-selected="true"]`)?.focus()))}render(){let e=this.state,t=this.logJobId==null?void 0:e.jobs.get(this.logJobId),n=t?e.devices.get(t.deviceId):void 0,r=0,i=0,a=0;for(let t of e.jobs.values())t.state===`running`?r++:t.state===`queued`||t.state===`blocked`?i++:t.state===`waiting_for_device`&&a++;let o=[...e.workers.values()].filter(e=>e.online).length,s=this.connection;return S`
      ${this.shownViews.length>1?S`<div role="tablist" aria-label="Forge views" @keydown=${this.onTabKey}>
            ${this.shownViews.map(e=>S`<button role="tab" id=${`tab-${e}`} aria-controls="panel" aria-selected=${e===this.tab?`true`:`false`} tabindex=${e===this.tab?0:-1} @click=${()=>this.tab=e}>${Ct[e]}</button>`)}
          </div>`:w}
      <div class="summary muted" aria-live="polite">${e.devices.size} devices · ${r} running · ${i} queued${a?` · ${a} armed`:``} · ${o}/${e.workers.size} workers online${this.source?.workspace&&!this.readOnly?S` · <button class="btn" @click=${()=>this.renderRoot.querySelector(`forge-new-device-dialog`)?.open()}>New device</button>`:w}${e.workspace?.remote.state===`failing`?S` · <span class="error-text" title=${e.workspace.remote.lastError??``}>config push failing</span>`:w}</div>
      ${this.source?.trustStatus?S`<forge-trust-status .feed=${this.source.trustStatus}></forge-trust-status>`:w}
      ${this.readOnly?S`<div class="readonly muted" role="note">View only: ${this.readOnly}</div>`:w}
      ${s?S`<div class="banner notice ${s.tone}" role="status">
              <div>
                <b>${s.title}</b>
                ${s.detail?S`<div class="detail">${s.detail}</div>`:w}
                ${s.cause?S`<details><summary>Details</summary>${s.cause}</details>`:w}
              </div>
            </div>`:w}
      ${[...e.alerts.values()].map(e=>S`<div class="banner tone-warn" role="status" aria-label="Alert"><span>⚠ ${e.message}</span></div>`)}
      ${e.esphomeRelease?S`<div class="banner tone-info" role="status"><span>ESPHome ${e.esphomeRelease.version} is available (Forge builds with ${e.esphomeRelease.fleetVersion??`each worker's own version`}) — <a href=${e.esphomeRelease.releaseNotesUrl} target="_blank" rel="noreferrer noopener">release notes</a></span></div>`:w}
      ${this.banner?S`<div class="banner tone-bad" role="alert"><span>${this.banner}</span><button aria-label="Dismiss" @click=${()=>this.banner=null}>✕</button></div>`:w}
      ${this.notice?S`<div class="banner tone-ok" role="status"><span>${this.notice}</span><button aria-label="Dismiss" @click=${()=>this.notice=null}>✕</button></div>`:w}
      <div id="panel" role="tabpanel" aria-labelledby=${`tab-${this.tab}`}>${this.renderView()}</div>
      ${this.logJobId==null?w:S`<forge-log-panel .source=${this.source} .jobId=${this.logJobId} .job=${t} .deviceName=${n?.friendlyName||n?.name||``}></forge-log-panel>`}
      ${this.editDeviceId==null?w:S`<forge-config-editor .source=${this.source} .state=${this.state} .deviceId=${this.editDeviceId}></forge-config-editor>`}
      ${this.source?.workspace?S`<forge-new-device-dialog .source=${this.source}></forge-new-device-dialog>`:w}
      <forge-confirm-dialog></forge-confirm-dialog>
    `}renderView(){switch(this.tab){case`devices`:return S`<forge-devices-view
          .state=${this.state}
          .presence=${this.presence}
          .scopeTags=${this.scopeTags}
          .columns=${this.columns}
          .rowErrors=${this.rowErrors}
          .busy=${this.busy}
          .kit=${this.kit}
          .actions=${this.policy}
        ></forge-devices-view>`;case`queue`:return S`<forge-queue-view .state=${this.state} .actions=${this.policy}></forge-queue-view>`;case`workers`:return S`<forge-workers-view .state=${this.state} .enrolment=${this.readOnly?void 0:this.source?.enrolment}></forge-workers-view>`;case`schedules`:return S`<forge-schedules-view
          .state=${this.state}
          .actions=${this.policy.mode===`enabled`?this.source?.schedules:void 0}
        ></forge-schedules-view>`;case`routing`:return S`<forge-routing-view .state=${this.state} .actions=${this.source?.routing}></forge-routing-view>`}}};customElements.get(`forge-dashboard`)||customElements.define(`forge-dashboard`,_i);var Z=`esphome-forge-card`,vi=[`type`,`title`,`views`,`tags`,`columns`,`compact`,`entry_id`],yi=[`grid_options`,`layout_options`,`view_layout`,`visibility`,`card_mod`],bi=/^[a-z0-9][a-z0-9_.:-]*$/,Q=e=>{throw Error(`${Z}: ${e}`)},$=e=>typeof e==`string`?`"${e}"`:JSON.stringify(e);function xi(e,t){return typeof e==`string`?e.split(`,`).map(e=>e.trim()).filter(Boolean):Array.isArray(e)?e:Q(`${t}: expected a list, got ${$(e)}`)}function Si(e,t,n){let r=[];for(let i of xi(e,t))typeof i==`string`&&n.includes(i)||Q(`${t}: unknown value ${$(i)}; choose from ${n.join(`, `)}`),r.includes(i)&&Q(`${t}: ${$(i)} is listed twice`),r.push(i);return r}function Ci(e){if(!e||typeof e!=`object`||Array.isArray(e))return Q(`the configuration must be a mapping of options`);let t=e;for(let e of Object.keys(t))!vi.includes(e)&&!yi.includes(e)&&Q(`unknown option ${$(e)}; the options are ${vi.slice(1).join(`, `)}`);let n={...t};return typeof t.type==`string`&&t.type||Q(`type: expected "custom:${Z}"`),t.title!==void 0&&typeof t.title!=`string`&&Q(`title: expected text, got ${$(t.title)}`),t.views!==void 0&&(n.views=Si(t.views,`views`,H),n.views.length===0&&Q(`views: list at least one of ${H.join(`, `)}`)),t.tags!==void 0&&(n.tags=xi(t.tags,`tags`).map(e=>(typeof e==`string`&&bi.test(e)||Q(`tags: ${$(e)} is not a tag (lowercase letters, digits, '_', '.', ':' and '-')`),e))),t.columns!==void 0&&(n.columns=Si(t.columns,`columns`,G)),t.compact!==void 0&&typeof t.compact!=`boolean`&&Q(`compact: expected true or false, got ${$(t.compact)}`),t.entry_id===void 0||typeof t.entry_id==`string`&&t.entry_id||Q(`entry_id: expected a config entry id (text), got ${$(t.entry_id)}`),n}function wi(e){return{title:e.title??``,views:e.views?.length?[...e.views]:[...H],tags:e.tags?[...e.tags]:[],columns:e.columns?G.filter(t=>e.columns.includes(t)):[...G],compact:e.compact??!1,entryId:e.entry_id??null}}function Ti(){return{title:`ESPHome builds`,views:[...H],tags:[],columns:[...G],compact:!1}}var Ei=e=>e.toLowerCase().replace(/[^0-9a-f]/g,``),Di=e=>e.toLowerCase().replace(/[\s_]+/g,`-`);function Oi(e){if(!e)return null;let t=/ESPHome\s+v?([\w.-]+)/i.exec(e)??/^v?(\d{4}\.\d+\.\d+\w*)/.exec(e.trim());return t?t[1]:null}var ki=class{indexed=null;last=new Map;index(e){if(this.indexed&&this.indexed.devices===e.devices&&this.indexed.entities===e.entities)return this.indexed.index;let t=new Map,n=!1;for(let r of Object.values(e.entities??{})){if(r.platform===`esphome`&&(n=!0),!r.device_id||r.platform&&r.platform!==`esphome`)continue;let e=t.get(r.device_id)??[];e.push(r.entity_id),t.set(r.device_id,e)}let r=new Map,i=new Map;for(let n of Object.values(e.devices??{}))if(t.has(n.id)){for(let[e,t]of n.connections??[])e===`mac`&&r.set(Ei(t),n);for(let e of[n.name,n.name_by_user])e&&i.set(Di(e),n)}let a={byMac:r,byName:i,entitiesOf:t,hasEsphome:n};return this.indexed={devices:e.devices,entities:e.entities,index:a},a}resolve(e,t){if(!e)return this.last;let n=this.index(e),r=new Map,i=!1,a=0;for(let o of t){a++;let t=(o.mac?n.byMac.get(Ei(o.mac)):void 0)??[o.friendlyName,o.name,o.id].filter(e=>!!e).map(e=>n.byName.get(Di(e))).find(Boolean),s=null,c=n.hasEsphome?t?null:`no_device`:`no_esphome`;if(t){let r=(n.entitiesOf.get(t.id)??[]).map(t=>e.states[t]?.state).filter(e=>e!==void 0);r.length?s=r.some(e=>e!==`unavailable`):c=`no_entities`}let l=t?.sw_version??null,u=Oi(l),d=this.last.get(o.id);d&&d.online===s&&d.gap===c&&d.runningVersion===u&&d.swVersion===l?r.set(o.id,d):(r.set(o.id,{online:s,gap:c,runningVersion:u,swVersion:l}),i=!0)}return!i&&a===this.last.size?this.last:(this.last=r,r)}},Ai=new Map,ji=!1;function Mi(){return window.customElements}function Ni(e,t,n){if(!e.get(t))try{e.define(t,n)}catch(n){if(!e.get(t))throw n}}function Pi(){let e=Mi();for(let[t,n]of Ai)Ni(e,t,n)}function Fi(e,t){Ai.set(e,t);let n=Mi();Ni(n,e,t),ji||(ji=!0,n.whenDefined(`home-assistant`).then(Pi),document.readyState===`complete`?queueMicrotask(Pi):window.addEventListener(`load`,Pi,{once:!0}))}var Ii=null;function Li(){return Ii??=(async()=>{try{await((await window.loadCardHelpers?.())?.createCardElement({type:`entities`,entities:[]})?.constructor)?.getConfigElement?.()}catch{}})(),Ii}async function Ri(e,t=1e4){let n=()=>e.filter(e=>!customElements.get(e));if(n().length===0)return;Li();let r;await Promise.race([Promise.all(n().map(e=>customElements.whenDefined(e))),new Promise(e=>r=setTimeout(e,t))]),clearTimeout(r)}var zi=`esphome_forge`,Bi=(e,t)=>e.map(e=>({value:e,label:t[e]}));function Vi(e){return[{name:`title`,selector:{text:{}}},{name:`views`,required:!0,selector:{select:{multiple:!0,mode:`list`,options:Bi(H,Ct)}}},{name:`columns`,selector:{select:{multiple:!0,mode:`list`,options:Bi(G,Lt)}}},{name:`tags`,selector:{select:{multiple:!0,custom_value:!0,options:e.map(e=>({value:e,label:e}))}}},{name:`compact`,selector:{boolean:{}}},{name:`entry_id`,selector:{config_entry:{integration:zi}}}]}var Hi={title:`Title`,views:`Views (tabs)`,columns:`Devices table columns`,tags:`Only devices with one of these tags`,compact:`Compact rows`,entry_id:`Forge sidecar`},Ui={title:`Shown above the card; leave empty for none.`,tags:`Leave empty for every device.`,entry_id:`Only needed when Home Assistant talks to more than one Forge sidecar.`};function Wi(e){let t=wi({...e,views:e.views?.length?e.views:void 0});return{title:t.title,views:t.views,columns:t.columns,tags:t.tags,compact:t.compact,...t.entryId?{entry_id:t.entryId}:{}}}function Gi(e,t,n){let r=e.filter(e=>t.includes(e));return[...r,...n.filter(e=>t.includes(e)&&!r.includes(e))]}function Ki(e,t){let n=Gi(Wi(e).views,t.views??[],H);if(n.length===0)return{config:null,problem:`Choose at least one view.`};let r={...e,type:e.type||`custom:esphome-forge-card`,views:n},i=(e,t,n)=>{n?r[e]=t:delete r[e]},a=(t.title??``).trim();i(`title`,a,a!==``),i(`columns`,G.filter(e=>t.columns?.includes(e)),!0);let o=(t.tags??[]).map(e=>e.trim()).filter(Boolean);return i(`tags`,o,o.length>0),i(`compact`,!0,t.compact===!0),i(`entry_id`,t.entry_id,!!t.entry_id),{config:r,problem:null}}var qi=class extends O{static properties={hass:{attribute:!1},config:{state:!0},problem:{state:!0},form:{state:!0},knownTags:{state:!0}};tagsWatch=null;schemaFor=null;constructor(){super(),this.hass=null,this.config=null,this.problem=null,this.form=customElements.get(`ha-form`)?`ready`:`loading`,this.knownTags=[]}static styles=[z,o`
      :host {
        display: block;
      }
      .problem {
        margin: 0 0 12px;
      }
    `];connectedCallback(){super.connectedCallback(),this.form!==`ready`&&Ri([`ha-form`]).then(()=>this.form=customElements.get(`ha-form`)?`ready`:`missing`)}disconnectedCallback(){super.disconnectedCallback(),this.tagsWatch?.(),this.tagsWatch=null}setConfig(e){this.config={...e},this.problem=this.check(e)}check(e){try{return Ci(e),null}catch(e){return e.message}}willUpdate(){this.hass&&!this.tagsWatch&&this.knownTags.length===0&&this.watchTags(this.hass)}watchTags(e){let t=new ct(e.connection,this.config?.entry_id??null,!1),n=!1,r=t.subscribe(e=>{e.loaded&&!n&&(n=!0,this.knownTags=yn(e.devices.values()),queueMicrotask(()=>r()))});this.tagsWatch=()=>{n=!0,r()}}schema(){return this.schemaFor?.tags!==this.knownTags&&(this.schemaFor={tags:this.knownTags,schema:Vi(this.knownTags)}),this.schemaFor.schema}onChange(e){if(e.stopPropagation(),!this.config)return;let t=Ki(this.config,e.detail.value);t.config?(this.problem=this.check(t.config),this.config=t.config,this.dispatchEvent(new CustomEvent(`config-changed`,{detail:{config:t.config},bubbles:!0,composed:!0}))):(this.problem=t.problem,this.requestUpdate())}render(){if(!this.config)return w;let e=this.problem?S`<p class="problem error-text" role="alert">${this.problem}</p>`:w;return this.form===`loading`?S`${e}<p class="muted">Loading the editor…</p>`:this.form===`missing`?S`${e}<p class="muted">
          The visual editor needs Home Assistant's form elements, which did not load. Edit the card in
          the code editor; the options are described in the card's README.
        </p>`:S`${e}
      <ha-form
        .hass=${this.hass}
        .data=${Wi(this.config)}
        .schema=${this.schema()}
        .computeLabel=${e=>Hi[e.name]??e.name}
        .computeHelper=${e=>Ui[e.name]??``}
        @value-changed=${this.onChange}
      ></ha-form>`}};Fi(`${Z}-editor`,qi);var Ji=`building, flashing and cancelling need a Home Assistant administrator.`;Fi(Z,class extends O{static properties={resolved:{state:!0},source:{state:!0},presence:{state:!0},kit:{state:!0},readOnly:{state:!0}};kitRequested=!1;config=null;hassValue=null;resolver=new ki;devices=new Map;unsubscribe=null;constructor(){super(),this.resolved=null,this.source=null,this.presence=new Map,this.kit=mt(),this.readOnly=null}static styles=o`
    :host {
      display: block;
    }
    ha-card {
      display: block;
      overflow: hidden;
      height: 100%;
      background: var(--ha-card-background, var(--card-background-color, #fff));
      border-radius: var(--ha-card-border-radius, 12px);
      border: var(--ha-card-border-width, 1px) solid var(--ha-card-border-color, var(--divider-color, #e0e0e0));
      box-shadow: var(--ha-card-box-shadow, none);
      color: var(--primary-text-color, #212121);
    }
    .header {
      padding: 12px 16px 4px;
      font-size: var(--ha-card-header-font-size, 20px);
      font-weight: 500;
    }
  `;static getConfigElement(){return document.createElement(`${Z}-editor`)}static getStubConfig(){return Ti()}setConfig(e){this.config=Ci(e),this.resolved=wi(this.config),this.hassValue&&this.connect(this.hassValue)}get hass(){return this.hassValue}set hass(e){this.hassValue=e;let t=e.user?.is_admin===!1?Ji:null;t!==this.readOnly&&(this.readOnly=t),this.connect(e),this.updatePresence(),this.requestHaControls()}requestHaControls(){if(this.kitRequested)return;this.kitRequested=!0;let e=()=>{let e=mt();ht(e,this.kit)||(this.kit=e)};e(),Ri(pt).then(e);for(let t of pt)customElements.get(t)||customElements.whenDefined(t).then(e)}getCardSize(){return 2+Math.min(this.devices.size||4,8)}getGridOptions(){return{columns:`full`,rows:`auto`,min_columns:6,min_rows:4}}connectedCallback(){super.connectedCallback(),this.hassValue&&this.connect(this.hassValue)}disconnectedCallback(){super.disconnectedCallback(),this.unsubscribe?.(),this.unsubscribe=null}connect(e){let t=this.resolved?.entryId??null;this.resolved&&(this.source&&this.source.connection===e.connection&&this.source.entryId===t||(this.unsubscribe?.(),this.unsubscribe=null,this.source=new ct(e.connection,t,e.user?.is_admin!==!1)),!this.unsubscribe&&this.isConnected&&this.source&&(this.unsubscribe=this.source.subscribe(e=>{e.devices!==this.devices&&(this.devices=e.devices,this.updatePresence())})))}updatePresence(){let e=this.resolver.resolve(this.hassValue,this.devices.values());e!==this.presence&&(this.presence=e)}shouldUpdate(e){return e.has(`resolved`)||e.has(`source`)||e.has(`presence`)||e.has(`kit`)||e.has(`readOnly`)}render(){let e=this.resolved;return e?S`<ha-card>
      ${e.title?S`<div class="header" role="heading" aria-level="2">${e.title}</div>`:w}
      <forge-dashboard
        .source=${this.source}
        .views=${e.views}
        .scopeTags=${e.tags}
        .columns=${e.columns}
        .presence=${this.presence}
        .kit=${this.kit}
        .readOnly=${this.readOnly}
        ?compact=${e.compact}
      ></forge-dashboard>
    </ha-card>`:w}});function Yi(){let e=window.customCards=window.customCards??[];e.some(e=>e.type===`esphome-forge-card`)||e.push({type:Z,name:`Forge for ESPHome`,description:`ESPHome firmware builds: devices, queue, workers and live build logs.`,preview:!0,getEntitySuggestion:(e,t)=>(e?.entities)?.[t]?.platform===`esphome_forge`?{type:`custom:${Z}`}:null})}Yi(),console.info(`%c Forge for ESPHome card %c 0.1.0 `,`background:#03a9f4;color:#fff;border-radius:3px 0 0 3px`,`background:#455a64;color:#fff;border-radius:0 3px 3px 0`);
//# sourceMappingURL=esphome-forge-card.js.map